import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { InvokeHandler, StepContext } from '@itinera/core';
import { ItineraStep } from '@itinera/runtime';

/**
 * The orders sample's TypeScript step, registered through the extension point:
 * a positive integer order id derived from the message id, so a retried step
 * gives the same id (steps should be deterministic: delivery is at-least-once).
 */
@ItineraStep('order-number')
@Injectable()
export class OrderNumberStep implements InvokeHandler {
  run(ctx: StepContext): void {
    const digest = createHash('sha256').update(ctx.envelope.id).digest();
    ctx.envelope.context.orderId = digest.readUInt32BE(0) & 0x7fffffff;
  }
}
