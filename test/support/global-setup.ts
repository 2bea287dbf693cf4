import { randomUUID } from 'node:crypto';

/** One id per `vitest run`, inherited by every test process (see ensureBuilt). */
export default function setup(): void {
  process.env.ITINERA_TEST_RUN_ID ??= randomUUID();
}
