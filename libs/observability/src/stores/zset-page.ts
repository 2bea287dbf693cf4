import type { RedisClient } from '@itinera/core';
import { badCursor } from './message-search';

/** A place in a sorted set walked newest (highest score) first: the score, and how many members of that score lie before it. */
export interface ZPlace {
  score: number;
  skip: number;
}

export const encodePlace = (p: ZPlace): string => `${p.score}.${p.skip}`;

export function decodePlace(cursor: string | undefined): ZPlace | undefined {
  if (cursor === undefined) return undefined;
  const m = /^(\d{1,16})\.(\d{1,9})$/.exec(cursor);
  if (!m) throw badCursor(cursor);
  return { score: Number(m[1]), skip: Number(m[2]) };
}

/**
 * Walk a sorted set from `from` (or the top, below `until`) down to `since`, a batch at
 * a time, each member with the place a cursor would name to start at it. Members of one
 * score are told apart by how many of that score came before (ZREVRANGEBYSCORE's order),
 * so a page boundary inside a run of equal scores is exact.
 */
export async function* walkNewestFirst(
  client: RedisClient,
  key: string,
  opts: { from?: ZPlace; since?: number; until?: number; batch: number },
): AsyncGenerator<{ member: string; at: ZPlace }[]> {
  let place: ZPlace | undefined = opts.from;
  const min = opts.since === undefined ? '-inf' : String(opts.since);
  for (;;) {
    const max = place ? String(place.score) : opts.until === undefined ? '+inf' : `(${opts.until}`;
    const raw = await client.zrevrangebyscore(key, max, min, 'WITHSCORES', 'LIMIT', place?.skip ?? 0, opts.batch);
    if (raw.length === 0) return;
    const out: { member: string; at: ZPlace }[] = [];
    let score = place?.score;
    let skip = place?.skip ?? 0;
    for (let i = 0; i < raw.length; i += 2) {
      const s = Number(raw[i + 1]);
      if (s !== score) {
        score = s;
        skip = 0;
      }
      out.push({ member: raw[i]!, at: { score: s, skip } });
      skip++;
    }
    yield out;
    if (raw.length < opts.batch * 2) return;
    place = { score: score!, skip };
  }
}
