import { runMain } from '@itinera/runtime';
import { SAMPLE_STEPS } from '../../../itineraries/extensions';

// Gateway and worker in one process: `npm start`. Embedded message box by default;
// ITINERA_TRANSPORT=bullmq with REDIS_URL runs the same node on Redis.
void runMain('bus', { roles: { gateway: true, worker: true }, steps: SAMPLE_STEPS });
