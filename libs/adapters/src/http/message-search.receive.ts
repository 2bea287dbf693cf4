import type { FastifyInstance } from 'fastify';
import { ItineraError, type MessageStatus, type MessageStore } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';
import { SEARCH_MESSAGES_SCHEMA } from './message-search.schemas';
import { parsePageLimit, parseTimeParam, textParam } from './operator-query';

export interface MessageSearchDeps {
  messages: MessageStore;
  auth: Authenticator;
}

interface SearchParams {
  id?: string;
  correlationId?: string;
  itinerary?: string;
  status?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
}

/** `GET /messages`: the operators' search over message records (the message store's indexes). */
export function registerMessageSearch(app: FastifyInstance, deps: MessageSearchDeps): void {
  app.get<{ Querystring: SearchParams }>(
    '/messages',
    { ...SEARCH_MESSAGES_SCHEMA, preValidation: operatorGuard(deps.auth, 'the message search') },
    async (req) => {
      const { messages } = deps;
      if (!messages.search) throw new ItineraError('NOT_SUPPORTED', 'this message store cannot search; use the memory or Redis store');
      const q = req.query;
      const since = parseTimeParam(q.since, 'since');
      const until = parseTimeParam(q.until, 'until');
      const page = await messages.search({
        limit: parsePageLimit(q.limit),
        ...opt('id', textParam(q.id)),
        ...opt('correlationId', textParam(q.correlationId)),
        ...opt('itinerary', textParam(q.itinerary)),
        ...opt('status', textParam(q.status) as MessageStatus | undefined),
        ...opt('since', since),
        ...opt('until', until),
        ...opt('cursor', textParam(q.cursor)),
      });
      return page;
    },
  );
}

const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
