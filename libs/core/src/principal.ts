/**
 * Who sent a message: an API key's name or a JWT subject, with what it may do.
 * It rides the envelope (rules and maps read it as the `principal` fact), and
 * records, faults and sessions belong to it.
 */
export interface Principal {
  /** Stable id: `key:<name>` for an API key, `jwt:<iss>|<sub>` for a JWT, `anonymous` when auth is off. */
  id: string;
  /** How it was established. */
  kind: 'api-key' | 'jwt' | 'anonymous' | 'trusted';
  /** Display name (API key name, JWT `sub`). */
  name: string;
  /**
   * Permissions as `scope:<x>` and `role:<x>` strings, the form itinerary `access`
   * declarations name. `role:operator` opens the operator endpoints.
   */
  permissions: string[];
  /**
   * When the credential stops being good, epoch ms (a JWT's `exp`). A session keeps the
   * principal that opened it: past this, requests on the session need a fresh credential.
   */
  expiresAt?: number;
}

/** The permission that opens operator endpoints (faults, definitions, metrics when guarded). */
export const OPERATOR_PERMISSION = 'role:operator';

export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', kind: 'anonymous', name: 'anonymous', permissions: [] as string[] }) as Principal;
