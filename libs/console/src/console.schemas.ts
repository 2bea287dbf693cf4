/** Route schemas of the console (console.routes.ts): the OpenAPI document lists every route the bus serves. */

const TAGS = ['Console'];

export const CONSOLE_REDIRECT_SCHEMA = {
  schema: {
    operationId: 'console',
    tags: TAGS,
    summary: 'Redirect to the operator console, /console/',
    response: { 302: { description: 'To `/console/`.', headers: { location: { type: 'string' } }, type: 'null' } },
  },
};

export const CONSOLE_PAGE_SCHEMA = {
  schema: {
    operationId: 'consolePage',
    tags: TAGS,
    summary: 'The operator console: a static page that holds no data',
    response: { 200: { description: 'The HTML shell; its data comes from the operator endpoints.', content: { 'text/html': { schema: { type: 'string' } } } } },
  },
};

export const CONSOLE_FILE_SCHEMA = {
  schema: {
    operationId: 'consoleFile',
    tags: TAGS,
    summary: "A file of the operator console: its script, stylesheets or the script's source map",
    params: { type: 'object', required: ['file'], properties: { file: { type: 'string', examples: ['console.js', 'console.css'] } } },
    response: {
      200: {
        description: 'The file.',
        content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } },
      },
    },
  },
};
