import { defineStep, messageLogFields, toItineraError, type OutboxDraft, type StepContext } from '@itinera/core';
import { buildPayload, checkPayload, payloadSpec } from './shared/payload';
import { completed, faultFrom, faulted, PARAMS_INVALID } from './shared/step-results';

export type CallbackParams = {
  action: string;
  to: 'origin' | 'group' | 'session';
  group?: string;
  session?: string;
  value?: unknown;
  expression?: string;
  map?: string;
  version?: string;
};

/** What a callback left in `context.callbacks` when there was nobody to push it to. */
export interface UndeliveredCallback {
  action: string;
  body: unknown;
  delivered: false;
}

/** The duplex callback service: a `callback` frame into session outboxes. */
export const callbackStep = defineStep<CallbackParams>({
  name: 'callback',
  summary:
    'Pushes a callback frame { type: "callback", seq, action, correlationId, body } into the outbox of the originating session (default), of one named session, or of every session in a group (on whichever gateway node each is). Without an originating session (plain HTTP), nothing is pushed: the callback is recorded in the context property "callbacks" with delivered: false, visible in GET /messages/{id}. A full outbox faults the step (SESSION_OUTBOX_FULL) for origin and session; group members with a full outbox or a vanished session are skipped and logged.',
  spec: {
    action: {
      type: 'string',
      description: 'Callback operation name the client handles (resolvable, so a rules policy can pick it).',
      required: true,
      examples: ['OrderPurchased', 'Result'],
    },
    to: {
      type: 'string',
      description: 'Who gets it: the originating session, a group, or one session by id.',
      default: 'origin',
      enum: ['origin', 'group', 'session'],
      examples: ['group'],
    },
    group: { type: 'string', description: 'Group whose members get it (with to = group).', examples: ['chat'] },
    session: { type: 'string', description: 'Session id that gets it (with to = session).', examples: ['6f1c0c5e-3d7a-4a57-9a3b-2f1d1f0e9b11'] },
    ...payloadSpec('the callback body (default: the current body)', {
      value: { reason: 'Not in store' },
      expression: '{ "result": state.result }',
      map: 'order-purchased',
    }),
  },
  check(options, lc) {
    return checkPayload(options, lc);
  },
  async run(ctx) {
    const p = ctx.params;
    const to = p.to ?? 'origin';
    if (typeof p.action !== 'string' || p.action === '') return faulted(PARAMS_INVALID, `step "${ctx.step.id}": the callback service needs "action"`);
    if (to === 'group' && !p.group) return faulted(PARAMS_INVALID, `step "${ctx.step.id}": to = "group" needs "group"`);
    if (to === 'session' && !p.session) return faulted(PARAMS_INVALID, `step "${ctx.step.id}": to = "session" needs "session"`);
    try {
      const value = await buildPayload(ctx, p, () => ctx.envelope.body);
      const body = value === undefined ? null : value;
      if (to === 'group') await pushToGroup(ctx, p.group!, p.action, body);
      else {
        const target = to === 'session' ? p.session! : ctx.envelope.origin.session;
        if (!target) recordUndelivered(ctx, p.action, body);
        else await ctx.runtime.sessions.push(target, draft(ctx, target, p.action, body), { ...ctx.runtime.callbackDefaults, dedupeKey: ctx.stepId });
      }
      return completed;
    } catch (err) {
      return faultFrom(err, 'CALLBACK_FAILED');
    }
  },
});

/** The client's own message id only means something to the session that sent it. */
function draft(ctx: StepContext, session: string, action: string, body: unknown): OutboxDraft {
  const frame: OutboxDraft = { type: 'callback', action, correlationId: ctx.envelope.correlationId, body };
  const id = ctx.envelope.origin.clientMessageId;
  if (id !== undefined && session === ctx.envelope.origin.session) frame.id = id;
  return frame;
}

async function pushToGroup(ctx: StepContext, group: string, action: string, body: unknown): Promise<void> {
  const { sessions, callbackDefaults, logger } = ctx.runtime;
  for (const member of await sessions.members(group)) {
    try {
      // Same key for every member: keys are per session, and a redelivered step pushes to none twice.
      await sessions.push(member, draft(ctx, member, action, body), { ...callbackDefaults, dedupeKey: ctx.stepId });
    } catch (err) {
      const e = toItineraError(err);
      if (e.transient) throw e;
      if (e.code === 'SESSION_NOT_FOUND') {
        // The member expired or said bye without leaving: tidy the group on the way.
        await sessions.leave(group, member).catch(() => undefined);
        logger.debug({ group, session: member, ...messageLogFields(ctx.envelope, ctx.step.id) }, 'callback skipped: group member session is gone');
        continue;
      }
      logger.warn({ group, session: member, ...messageLogFields(ctx.envelope, ctx.step.id), code: e.code, err: e.message }, 'callback to group member skipped');
    }
  }
}

function recordUndelivered(ctx: StepContext, action: string, body: unknown): void {
  const list = Array.isArray(ctx.envelope.context.callbacks) ? (ctx.envelope.context.callbacks as unknown[]) : [];
  const entry: UndeliveredCallback = { action, body, delivered: false };
  ctx.envelope.context.callbacks = [...list, entry];
}
