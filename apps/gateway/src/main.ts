import { runMain } from '@itinera/runtime';
import { SAMPLE_STEPS } from '../../../itineraries/extensions';

// On-ramps and duplex sessions only: HTTP, WebSocket, long polling, queue on-ramps.
// Runs receive-stage steps (so it registers user steps too), publishes to BullMQ.
void runMain('gateway', { roles: { gateway: true, worker: false }, steps: SAMPLE_STEPS });
