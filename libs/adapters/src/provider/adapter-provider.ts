import { applySpec, ItineraError, joinPointer, parseConfigString, type Endpoint, type ErrorDetail, type SendAdapter } from '@itinera/core';
import { assertAddressAllowed, redactAddress } from './allow-list';
import { checkOutbound } from './check-url';
import { expandEnvPlaceholders } from './env-placeholders';

export interface AdapterProviderOptions {
  /** Addresses send adapters may reach (ITINERA_SEND_ALLOWLIST); empty = any public address. */
  allowList?: readonly string[];
  /** Let URL addresses reach private networks (ITINERA_SEND_ALLOW_PRIVATE); metadata stays refused. */
  allowPrivate?: boolean;
  /** Environment variables exposed for `${env:NAME}` in addresses (ITINERA_ENV_FACTS). */
  env?: Record<string, string>;
}

/** An endpoint turned into what one adapter needs: the adapter, a usable address, typed options. */
export interface ResolvedEndpoint<O = Record<string, unknown>> {
  adapter: SendAdapter<O>;
  address: string;
  options: O;
}

type Checked = { resolved?: ResolvedEndpoint; errors: ErrorDetail[]; notAllowed?: ItineraError };

/**
 * The adapter provider (as in the ESB Toolkit): turns a resolved endpoint
 * (`adapter`, `address`, `config`) into that adapter's typed options, validated
 * against the adapter's declared spec. The config is an object or the ESB string
 * form `key=value&key=value`, whose values are coerced to the declared types.
 */
export class AdapterProvider {
  readonly allowList: readonly string[];
  readonly allowPrivate: boolean;
  private readonly adapters = new Map<string, SendAdapter<any>>();
  private readonly env: Record<string, string>;
  private readonly cache = new Map<string, ResolvedEndpoint>();

  constructor(adapters: readonly SendAdapter<any>[], opts: AdapterProviderOptions = {}) {
    for (const a of adapters) {
      if (this.adapters.has(a.name)) throw new ItineraError('ADAPTER_CONFLICT', `two send adapters are named "${a.name}"; adapter names must be unique`);
      this.adapters.set(a.name, a);
    }
    // `*` (any public address, written out) is the empty list: ITINERA_SEND_ALLOWLIST=* in production.
    this.allowList = (opts.allowList ?? []).map((e) => e.trim()).filter((e) => e !== '' && e !== '*');
    this.allowPrivate = opts.allowPrivate === true;
    this.env = opts.env ?? {};
  }

  has(name: string): boolean {
    return this.adapters.has(name);
  }

  get(name: string): SendAdapter | undefined {
    return this.adapters.get(name);
  }

  list(): SendAdapter[] {
    return [...this.adapters.values()];
  }

  /** Every problem with an endpoint, as `pointer: message` details (for the loader); never throws. */
  validate(endpoint: unknown, pointer = ''): ErrorDetail[] {
    const c = this.check(endpoint, pointer);
    if (c.notAllowed !== undefined) return [...c.errors, { pointer: pointer + joinPointer('address'), message: c.notAllowed.message }];
    return c.errors;
  }

  /**
   * Resolve an endpoint for sending. Throws ItineraError ENDPOINT_INVALID (unknown
   * adapter, bad address, unknown/malformed/bad config key: the message names it and
   * `details` carry pointers under `pointer`), ADDRESS_NOT_ALLOWED (not on the allow-list),
   * ADDRESS_CREDENTIALS (user:password@ in a URL) or ADDRESS_REFUSED (a literal private,
   * loopback or metadata host; host names are checked again when the adapter connects).
   */
  resolve<O = Record<string, unknown>>(endpoint: Endpoint, pointer = ''): ResolvedEndpoint<O> {
    // Endpoints repeat (a policy decides among a few): a valid one with a string config is parsed once.
    const key =
      typeof endpoint?.config === 'string' || endpoint?.config === undefined
        ? `${endpoint?.adapter}\u0000${endpoint?.address}\u0000${endpoint?.config ?? ''}`
        : undefined;
    const hit = key === undefined ? undefined : this.cache.get(key);
    if (hit) return { ...hit, options: { ...hit.options } } as ResolvedEndpoint<O>;
    const c = this.check(endpoint, pointer);
    if (c.errors.length > 0) {
      throw new ItineraError('ENDPOINT_INVALID', `endpoint invalid: ${c.errors.map((e) => e.message).join('; ')}`, { details: c.errors });
    }
    const r = c.resolved!;
    if (c.notAllowed) throw c.notAllowed;
    if (key !== undefined && this.cache.size < 1000) this.cache.set(key, { ...r, options: { ...r.options } });
    return r as ResolvedEndpoint<O>;
  }

  /** Resolve, then give the endpoint back in plain form: expanded address, config as typed options. */
  normalize(endpoint: Endpoint, pointer = ''): Endpoint {
    const r = this.resolve(endpoint, pointer);
    return { adapter: r.adapter.name, address: r.address, config: { ...r.options } };
  }

  private check(endpoint: unknown, pointer: string): Checked {
    const at = (...t: string[]) => pointer + joinPointer(...t);
    if (endpoint === null || typeof endpoint !== 'object' || Array.isArray(endpoint)) {
      return { errors: [{ pointer, message: 'an endpoint must be an object { adapter, address, config? }' }] };
    }
    const ep = endpoint as Record<string, unknown>;
    const errors: ErrorDetail[] = [];
    const name = ep.adapter;
    let adapter: SendAdapter<any> | undefined;
    if (typeof name !== 'string' || name === '') {
      errors.push({ pointer: at('adapter'), message: `endpoint "adapter" must name a send adapter (${this.known()})` });
    } else {
      adapter = this.adapters.get(name);
      if (!adapter) errors.push({ pointer: at('adapter'), message: `unknown adapter "${name}"; known adapters: ${this.known()}` });
    }

    let address = '';
    if (typeof ep.address !== 'string' || ep.address.trim() === '') {
      errors.push({ pointer: at('address'), message: 'endpoint "address" must be a non-empty string' });
    } else {
      const expanded = expandEnvPlaceholders(ep.address.trim(), this.env, at('address'));
      errors.push(...expanded.errors);
      address = expanded.value;
      if (adapter?.checkAddress && expanded.errors.length === 0) {
        const problem = adapter.checkAddress(address);
        if (problem) errors.push({ pointer: at('address'), message: `address "${redactAddress(address)}" of adapter "${adapter.name}": ${problem}` });
      }
    }

    let raw: Record<string, unknown> | undefined;
    const config = ep.config;
    if (typeof config === 'string') {
      const parsed = parseConfigString(config, at('config'));
      errors.push(...parsed.errors);
      raw = parsed.value;
    } else if (config !== undefined && config !== null) {
      if (typeof config === 'object' && !Array.isArray(config)) raw = config as Record<string, unknown>;
      else errors.push({ pointer: at('config'), message: 'endpoint "config" must be an object or a "key=value&key=value" string' });
    }

    let options: Record<string, unknown> = {};
    if (adapter) {
      const applied = applySpec(adapter.spec, raw, { pointer: at('config'), coerceStrings: true, what: `adapter "${adapter.name}"` });
      errors.push(...applied.errors);
      options = applied.value;
    }
    if (errors.length > 0 || !adapter) return { errors };
    const resolved: ResolvedEndpoint = { adapter, address, options };
    return { resolved, errors, notAllowed: this.refusal(adapter.name, address) };
  }

  /** Why the allow-list or the SSRF guard refuses `address`, if it does (URLs: credentials, list, literal host). */
  private refusal(adapter: string, address: string): ItineraError | undefined {
    try {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) checkOutbound(adapter, address, this);
      else assertAddressAllowed(adapter, address, this.allowList);
      return undefined;
    } catch (err) {
      if (err instanceof ItineraError) return err;
      throw err;
    }
  }

  private known(): string {
    return [...this.adapters.keys()].join(', ') || '(none registered)';
  }
}
