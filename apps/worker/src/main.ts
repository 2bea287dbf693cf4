import { runMain } from '@itinera/runtime';
import { SAMPLE_STEPS } from '../../../itineraries/extensions';

// Itinerary execution after publication and the send adapters. Serves health and
// metrics on PORT.
void runMain('worker', { roles: { gateway: false, worker: true }, steps: SAMPLE_STEPS });
