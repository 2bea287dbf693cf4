'use strict';
/* global fetch, AbortSignal */
// The image's HEALTHCHECK: exit 0 when this container's node answers /health/ready with 2xx.
// Same PORT and HOST as the node (settings in the environment); a wildcard HOST is reached on loopback.
const port = process.env.PORT || '3000';
const host = process.env.HOST && !['0.0.0.0', '::', ''].includes(process.env.HOST) ? process.env.HOST : '127.0.0.1';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/health/ready`;

fetch(url, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
