import { ItineraError, type AccessRule, type ItineraryDefinition, type Principal } from '@itinera/core';

/** The access rule for an action: its own entry, else the `*` default, else none (with `access` declared: refused). */
export function accessRuleFor(def: ItineraryDefinition, action: string | undefined): AccessRule | undefined {
  const access = def.access!;
  // Own keys only: an action named "__proto__" must not find Object.prototype.
  if (action !== undefined && Object.hasOwn(access, action)) return access[action];
  return Object.hasOwn(access, '*') ? access['*'] : undefined;
}

/**
 * An itinerary's `access` against the sender. No `access`: anyone. With it, every
 * action needs its rule (or the `*` default): `public` lets anyone in, `anyOf` needs
 * one of the permissions. The anonymous principal holds none, so declaring access
 * means callers need credentials even with ITINERA_AUTH=none. Trusted principals
 * (trusted queue producers, the admin token) pass.
 */
export function checkAccess(def: ItineraryDefinition, action: string | undefined, principal: Principal | undefined): void {
  if (!def.access) return;
  const where = `${def.name}@${def.version}`;
  const what = action ? `action "${action}" of ${where}` : where;
  const rule = accessRuleFor(def, action);
  if (rule?.public) return;
  const needed = rule?.anyOf ?? [];
  if (principal?.kind === 'trusted') return;
  if (needed.length === 0) {
    throw new ItineraError('FORBIDDEN', `${what} is not open to any caller: its access declares no entry for it and no "*" default`, {
      details: [{ pointer: '/action', message: 'no access entry for this action' }],
    });
  }
  if (!principal || principal.kind === 'anonymous') {
    throw new ItineraError('UNAUTHORIZED', `${what} needs a credential with one of: ${needed.join(', ')}`);
  }
  if (needed.some((p) => principal.permissions.includes(p))) return;
  throw new ItineraError('FORBIDDEN', `${principal.id} may not call ${what}: it needs one of ${needed.join(', ')}`, {
    details: [{ pointer: '/action', message: `needs one of: ${needed.join(', ')}` }],
  });
}
