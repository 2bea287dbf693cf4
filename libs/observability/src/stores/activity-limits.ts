import { ItineraError } from '@itinera/core';

/** Defaults of the activity stores (ITINERA_BAM_* settings). */
export const DEFAULT_ACTIVITY_RETENTION_MS = 7 * 24 * 3600_000;
export const DEFAULT_MAX_ACTIVITIES = 100_000;
/** Milestone events kept per activity: a runaway correlation id cannot grow one without end. */
export const MAX_EVENTS_PER_ACTIVITY = 200;
/** Activities one query may aggregate (ITINERA_BAM_QUERY_MAX). */
export const DEFAULT_QUERY_MAX_ACTIVITIES = 50_000;

export function tooManyActivities(count: number, max: number): ItineraError {
  return new ItineraError('RANGE_TOO_LARGE', `the range holds more than ${max} activities (ITINERA_BAM_QUERY_MAX): narrow it with from and to`, {
    details: [{ pointer: '/from', message: `${count > max ? 'more than ' : ''}${max} activities in range` }],
  });
}
