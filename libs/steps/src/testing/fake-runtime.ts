import { randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import Ajv, { type ValidateFunction } from 'ajv';
import {
  ItineraError,
  silentLogger,
  type Endpoint,
  type ErrorDetail,
  type Expressions,
  type InvokeHandler,
  type Logger,
  type MessageBox,
  type OutboundMessage,
  type PublishOptions,
  type PushOptions,
  type Schemas,
  type SendOutcome,
  type SessionStore,
  type StepRuntime,
} from '@itinera/core';
import { FakeSessionStore } from './fake-session-store';

export interface FakeRuntimeOptions {
  /** JSONata maps by "name" or "name@version". */
  maps?: Record<string, string>;
  /** Named JSON Schemas. */
  schemas?: Record<string, Record<string, unknown>>;
  invokables?: Record<string, InvokeHandler>;
  env?: Record<string, string>;
  /** What a send answers (default `{}`); throw from it to simulate a failure. */
  send?(endpoint: Endpoint, message: OutboundMessage): Promise<SendOutcome> | SendOutcome;
  /** The adapters' `resolve` (default: the endpoint unchanged); `null` leaves it out. */
  resolveEndpoint?: ((endpoint: Endpoint, pointer?: string) => Endpoint) | null;
  sessions?: SessionStore;
  callbackDefaults?: PushOptions;
  node?: string;
}

export interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}

/** A StepRuntime with recorders, so tests can see what steps did. */
export interface FakeRuntime extends StepRuntime {
  sent: { endpoint: Endpoint; message: OutboundMessage }[];
  replied: { messageId: string; body: unknown }[];
  published: { queue: string; data: unknown; opts?: PublishOptions }[];
  logs: LogLine[];
}

/** JSONata with the bus's built-ins ($uuid, $jsString), maps from a record. */
export function fakeExpressions(maps: Record<string, string> = {}): Expressions {
  const compile = (source: string, what: string) => {
    let expr: jsonata.Expression;
    try {
      expr = jsonata(source);
    } catch (err) {
      throw new ItineraError('EXPRESSION_FAILED', `${what} does not compile: ${(err as Error).message}`, { cause: err });
    }
    expr.registerFunction('uuid', () => randomUUID(), '<:s>');
    expr.registerFunction('jsString', (x: unknown) => (x === undefined ? undefined : String(x)), '<x-:s>');
    return expr;
  };
  const run = async (expr: jsonata.Expression, input: unknown, bindings: Record<string, unknown> | undefined, what: string) => {
    try {
      return await expr.evaluate(input, bindings);
    } catch (err) {
      throw new ItineraError('EXPRESSION_FAILED', `${what} failed: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    async evaluate(source, input, bindings) {
      return run(compile(source, 'expression'), input, bindings, 'expression');
    },
    async map(name, version, input, bindings) {
      const source = (version !== undefined ? maps[`${name}@${version}`] : undefined) ?? (version === undefined ? maps[name] : undefined);
      if (source === undefined) throw new ItineraError('MAP_NOT_FOUND', `no map "${name}${version ? `@${version}` : ''}" in maps/`);
      return run(compile(source, `map "${name}"`), input, bindings, `map "${name}"`);
    },
  };
}

/** ajv validation with pointers into the data, as the bus reports them. */
export function fakeSchemas(named: Record<string, Record<string, unknown>> = {}): Schemas {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const cache = new Map<unknown, ValidateFunction>();
  return {
    validate(schema, data): ErrorDetail[] {
      let fn = cache.get(schema);
      if (!fn) {
        const doc = typeof schema === 'string' ? named[schema] : schema;
        if (!doc) throw new ItineraError('SCHEMA_NOT_FOUND', `no schema named "${schema}" in schemas/`);
        fn = ajv.compile(doc);
        cache.set(schema, fn);
      }
      if (fn(data)) return [];
      return (fn.errors ?? []).map((e) => {
        const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty: string }).missingProperty)}` : '';
        return { pointer: e.instancePath + missing, message: e.message ?? e.keyword };
      });
    },
  };
}

export function recordingLogger(lines: LogLine[] = []): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  const logger: Logger = {
    ...silentLogger,
    level: 'trace',
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
    isLevelEnabled: () => true,
  };
  return logger;
}

export function createFakeRuntime(opts: FakeRuntimeOptions = {}): FakeRuntime {
  const sent: FakeRuntime['sent'] = [];
  const replied: FakeRuntime['replied'] = [];
  const published: FakeRuntime['published'] = [];
  const logs: LogLine[] = [];
  const box: MessageBox = {
    kind: 'fake',
    async publish(queue, data, o) {
      published.push({ queue, data, opts: o });
    },
    async consume() {
      return { close: async () => undefined };
    },
    isReady: async () => true,
    close: async () => undefined,
  };
  const resolve = opts.resolveEndpoint === null ? undefined : (opts.resolveEndpoint ?? ((e: Endpoint) => e));
  return {
    expressions: fakeExpressions(opts.maps),
    schemas: fakeSchemas(opts.schemas),
    adapters: {
      async send(endpoint, message) {
        sent.push({ endpoint, message });
        return opts.send ? opts.send(endpoint, message) : {};
      },
      ...(resolve ? { resolve } : {}),
    },
    sessions: opts.sessions ?? new FakeSessionStore(),
    box,
    replies: {
      async reply(envelope, body) {
        replied.push({ messageId: envelope.id, body });
      },
    },
    invokables: new Map(Object.entries(opts.invokables ?? {})),
    logger: recordingLogger(logs),
    node: opts.node ?? 'test-node',
    callbackDefaults: opts.callbackDefaults ?? { limit: 1000, overflow: 'fault' },
    env: opts.env ?? {},
    sent,
    replied,
    published,
    logs,
  };
}
