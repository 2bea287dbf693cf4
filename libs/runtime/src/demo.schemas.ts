/** Route schemas of the demo page and the browser client bundle (mount.ts). */

const REDIRECT = {
  tags: ['Demo'],
  response: { 302: { description: 'To the demo page, `/demo/`.', headers: { location: { type: 'string' } }, type: 'null' } },
};

export const ROOT_SCHEMA = { schema: { ...REDIRECT, operationId: 'root', summary: 'Redirect to the demo page' } };
export const DEMO_REDIRECT_SCHEMA = { schema: { ...REDIRECT, operationId: 'demo', summary: 'Redirect to the demo page' } };

export const CLIENT_BUNDLE_SCHEMA = {
  schema: {
    operationId: 'clientBundle',
    tags: ['Demo'],
    summary: 'The browser client (@itinera/client) as one script',
    response: { 200: { description: 'JavaScript defining `Itinera`.', content: { 'text/javascript': { schema: { type: 'string' } } } } },
  },
};
