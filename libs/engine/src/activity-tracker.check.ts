import { MILESTONE_NAME, TRACKED_FIELD_NAME } from '@itinera/core';
import { checkExpression } from './expressions';
import { isObject } from './load-files';

/** Tracked fields per step: each is one JSONata evaluation when the step completes. */
export const MAX_TRACKED_FIELDS = 32;

/**
 * Load-time checks of a step's `track` (the JSON Schema gives the shape): the
 * milestone and field names as queries name them, and field expressions that compile.
 */
export function checkTrack(track: unknown, at: string, add: (pointer: string, message: string) => void): void {
  if (!isObject(track)) return;
  if (typeof track.milestone === 'string' && !MILESTONE_NAME.test(track.milestone)) {
    add(
      `${at}/milestone`,
      `milestone "${track.milestone}" is not a milestone name: a letter, then letters, digits, '_' or '-', at most 64 (e.g. "ordered", "payment-received")`,
    );
  }
  if (!isObject(track.fields)) return;
  const names = Object.keys(track.fields);
  if (names.length > MAX_TRACKED_FIELDS) add(`${at}/fields`, `a step tracks at most ${MAX_TRACKED_FIELDS} fields; it declares ${names.length}`);
  for (const [name, source] of Object.entries(track.fields)) {
    const pointer = `${at}/fields/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!TRACKED_FIELD_NAME.test(name)) {
      add(pointer, `tracked field "${name}" is not a field name: a letter or '_', then letters, digits or '_', at most 64 (queries name it in groupBy)`);
    }
    if (typeof source !== 'string') continue;
    const problem = checkExpression(source);
    if (problem) add(pointer, problem);
  }
}
