import { existsSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { ItineraError } from '@itinera/core';
import { CONSOLE_PUBLIC, bundleConsole, type ConsoleAssets } from './console-assets';
import { CONSOLE_FILE_SCHEMA, CONSOLE_PAGE_SCHEMA, CONSOLE_REDIRECT_SCHEMA } from './console.schemas';

export interface ConsoleRouteOptions {
  /** ITINERA_CONSOLE: off, no route answers under /console/. */
  enabled: boolean;
  /** Where a build wrote the console; absent (running from sources): bundled in memory on first use. */
  publicDir?: string;
}

/**
 * The page may only load its own script and stylesheet and talk to this bus. `unsafe-eval`:
 * the fault editor compiles the action's JSON Schema with Ajv, which generates its validator code.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
}

/**
 * The operator console at /console/: a static shell (HTML, one script, one stylesheet) that
 * holds no data. Every figure it shows comes from the operator endpoints, called with the
 * credential typed into its sign-in form, so the shell itself needs no guard.
 */
export function registerConsole(app: FastifyInstance, opts: ConsoleRouteOptions): void {
  if (!opts.enabled) return;
  const dir = opts.publicDir ?? CONSOLE_PUBLIC;
  app.get('/console', CONSOLE_REDIRECT_SCHEMA, async (_req, reply) => reply.redirect('/console/'));
  if (existsSync(dir)) {
    // A build wrote the files: @fastify/static sends them (ETag, ranges, no path escapes).
    void app.register(fastifyStatic, {
      root: dir,
      prefix: '/console/',
      decorateReply: false,
      index: ['index.html'],
      cacheControl: false,
      // Listed in the OpenAPI document like every other route (as /console/{path}).
      schemaHide: false,
      setHeaders: (reply) => void secure(reply),
    });
    return;
  }
  let assets: Promise<ConsoleAssets> | undefined;
  const send = async (name: string, reply: FastifyReply) => {
    // A failed bundle is not kept: the next request tries again (a source fixed while running).
    assets ??= bundleConsole().catch((err: unknown) => {
      assets = undefined;
      throw err;
    });
    const text = (await assets).get(name);
    if (text === undefined) throw new ItineraError('NOT_FOUND', `no console file ${name}; the console is at /console/`);
    return secure(reply)
      .type(TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream')
      .send(text);
  };
  app.get('/console/', CONSOLE_PAGE_SCHEMA, async (_req, reply) => send('index.html', reply));
  app.get<{ Params: { file: string } }>('/console/:file', CONSOLE_FILE_SCHEMA, async (req, reply) => send(req.params.file, reply));
}
