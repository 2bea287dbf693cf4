import { defineStep } from '@itinera/core';
import { buildPayload, checkPayload, payloadSpec } from './shared/payload';
import { completed, faultFrom } from './shared/step-results';

export type ReplyParams = { value?: unknown; expression?: string; map?: string; version?: string };

/** Answers a request-response operation. */
export const replyStep = defineStep<ReplyParams>({
  name: 'reply',
  summary:
    'Answers a request-response operation: the caller waiting on the on-ramp gets the reply (HTTP 200, or the reply field of the accepted frame when it runs before publication; Prefer: wait=N for later ones). The reply is a literal value, an expression or a map, or by default the current body. The itinerary goes on after it.',
  spec: payloadSpec('the reply body (default: the current body)', { value: true, expression: '{ "orderId": body.order.id }', map: 'order-reply' }),
  check(options, lc) {
    return checkPayload(options, lc);
  },
  async run(ctx) {
    try {
      const body = await buildPayload(ctx, ctx.params, () => ctx.envelope.body);
      await ctx.runtime.replies.reply(ctx.envelope, body === undefined ? null : body);
      return completed;
    } catch (err) {
      return faultFrom(err, 'REPLY_FAILED');
    }
  },
});
