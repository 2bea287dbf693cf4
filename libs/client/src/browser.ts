// Entry of the browser bundle: `window.Itinera`.
import { ItineraClient } from './client';
import type { ItineraClientOptions } from './client-types';

export { ItineraClient } from './client';
export { ItineraClientError, CLIENT_ERROR_CODES } from './errors';

/** Create a client and connect it. */
export function connect<Callbacks extends object = Record<string, any>>(opts: ItineraClientOptions = {}): Promise<ItineraClient<Callbacks>> {
  return ItineraClient.connect<Callbacks>(opts);
}
