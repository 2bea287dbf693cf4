// Entry of the browser bundle: `window.Itinera`.
import { ItineraClient, type ItineraClientOptions } from './client';

export { ItineraClient } from './client';
export { ItineraClientError, CLIENT_ERROR_CODES } from './errors';

/** Create a client and connect it. */
export function connect(opts: ItineraClientOptions = {}): Promise<ItineraClient> {
  return ItineraClient.connect(opts);
}
