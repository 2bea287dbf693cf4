import { ItineraError, joinPointer, type ErrorDetail, type StepContext } from '@itinera/core';

/** Where a step writes what it produced. */
export type Target = { kind: 'body' } | { kind: 'state' } | { kind: 'context'; name: string } | { kind: 'none' };

const CONTEXT = /^context\.([A-Za-z_][A-Za-z0-9_-]*)$/;

export function parseTarget(text: string, allowed: readonly ('body' | 'state' | 'context' | 'none')[]): Target | undefined {
  if (text === 'body' || text === 'state' || text === 'none') return allowed.includes(text) ? { kind: text } : undefined;
  const m = CONTEXT.exec(text);
  return m && allowed.includes('context') ? { kind: 'context', name: m[1] } : undefined;
}

export function targetHelp(allowed: readonly string[]): string {
  return allowed.map((a) => (a === 'context' ? '"context.<name>"' : `"${a}"`)).join(', ');
}

/** Load-time check of a target option. */
export function checkTarget(value: unknown, key: string, pointer: string, allowed: readonly ('body' | 'state' | 'context' | 'none')[]): ErrorDetail[] {
  if (value === undefined || (typeof value === 'string' && parseTarget(value, allowed))) return [];
  return [{ pointer: pointer + joinPointer(key), message: `"${key}" must be one of ${targetHelp(allowed)}, got ${JSON.stringify(value)}` }];
}

/** Replace the target with `value`. State must stay an object (it is the session's state). */
export function writeTarget(ctx: StepContext, target: Target, value: unknown): void {
  switch (target.kind) {
    case 'none':
      return;
    case 'body':
      ctx.envelope.body = value === undefined ? null : value;
      return;
    case 'context':
      ctx.envelope.context[target.name] = value === undefined ? null : value;
      return;
    case 'state':
      if (!sessionOf(ctx)) throw noSession(ctx, 'write the session state');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ItineraError('STATE_INVALID', `step "${ctx.step.id}" produced ${describeValue(value)} for the session state, which must be a JSON object`);
      }
      ctx.state.set(value as Record<string, unknown>);
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** The originating session of the message, if any. */
export function sessionOf(ctx: StepContext): string | undefined {
  return ctx.envelope.origin.session ?? ctx.state.sessionId;
}

export function noSession(ctx: StepContext, what: string): ItineraError {
  return new ItineraError(
    'NO_SESSION',
    `step "${ctx.step.id}" needs a duplex session to ${what}, but message ${ctx.envelope.id} has none: send it over the WebSocket or long-polling duplex, or over HTTP with Itinera-Session`,
  );
}
