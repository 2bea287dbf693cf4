import {
  ItineraError,
  applySpec,
  formatDetails,
  type ConfigSpec,
  type Logger,
  type OnRamp,
  type OnRampCloseOptions,
  type OnRampContext,
  type RunningOnRamp,
} from '@itinera/core';
import type { BusRoles } from './bus';

/** Whether a node with these roles runs the on-ramp (an on-ramp that names no roles runs on gateways). */
export function runsOn(onRamp: Pick<OnRamp<any>, 'roles'>, roles: BusRoles): boolean {
  return (onRamp.roles ?? ['gateway']).some((role) => roles[role]);
}

/**
 * An on-ramp's own settings: those the node's configuration already parsed (`known`, by
 * variable name), and, for the variables of an application's on-ramp the configuration
 * does not know, read from the environment with the on-ramp's spec (CONFIG_INVALID names them).
 */
export function settingsFor(
  name: string,
  spec: ConfigSpec,
  known: Readonly<Record<string, unknown>>,
  knownKeys: ReadonlySet<string>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const own: ConfigSpec = {};
  for (const key of Object.keys(spec)) {
    if (knownKeys.has(key)) {
      if (known[key] !== undefined) settings[key] = known[key];
    } else own[key] = spec[key];
  }
  if (Object.keys(own).length === 0) return settings;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(own)) if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  const { value, errors } = applySpec<Record<string, unknown>>(own, raw, { coerceStrings: true, what: `the ${name} on-ramp` });
  if (errors.length) throw new ItineraError('CONFIG_INVALID', `invalid configuration of the ${name} on-ramp:\n${formatDetails(errors)}`, { details: errors });
  for (const [key, v] of Object.entries(value)) if (v !== undefined) settings[key] = v;
  return settings;
}

/**
 * The on-ramps a node runs: started in list order, each seeing those started before it
 * (`peer`), closed in reverse order. An on-ramp that fails to start stops the node's
 * start; those already started are closed first.
 */
export class RunningOnRamps {
  private readonly running: { name: string; onRamp: RunningOnRamp }[] = [];
  private closed?: Promise<void>;

  private constructor(private readonly logger: Logger) {}

  static async start<Ctx extends OnRampContext>(
    onRamps: readonly OnRamp<any>[],
    roles: BusRoles,
    contextFor: (onRamp: OnRamp<any>, peer: (name: string) => RunningOnRamp | undefined) => Ctx,
    logger: Logger,
  ): Promise<RunningOnRamps> {
    const started = new RunningOnRamps(logger);
    const names = new Set<string>();
    for (const onRamp of onRamps) {
      if (names.has(onRamp.name)) throw new ItineraError('ON_RAMP_CONFLICT', `two on-ramps are named "${onRamp.name}"; on-ramp names must be unique`);
      names.add(onRamp.name);
    }
    try {
      for (const onRamp of onRamps) {
        if (!runsOn(onRamp, roles)) continue;
        const ctx = contextFor(onRamp, (name) => started.get(name));
        if (onRamp.enabled && !onRamp.enabled(ctx.settings)) continue;
        started.running.push({ name: onRamp.name, onRamp: await onRamp.start(ctx) });
      }
    } catch (err) {
      await started.close({ drain: false });
      throw err;
    }
    logger.debug({ onRamps: started.names() }, 'on-ramps started');
    return started;
  }

  names(): string[] {
    return this.running.map((r) => r.name);
  }

  get(name: string): RunningOnRamp | undefined {
    return this.running.find((r) => r.name === name)?.onRamp;
  }

  /** Delivery counts of the on-ramps that write frames to clients themselves, by on-ramp name. */
  deliveries(): { transport: string; delivered: number; redelivered: number }[] {
    return this.running.flatMap(({ name, onRamp }) =>
      onRamp.delivery ? [{ transport: name, delivered: onRamp.delivery.delivered, redelivered: onRamp.delivery.redelivered }] : [],
    );
  }

  /** Close in reverse start order; one failing to close is logged and does not keep the others open. */
  close(opts: OnRampCloseOptions): Promise<void> {
    this.closed ??= (async () => {
      for (const { name, onRamp } of [...this.running].reverse()) {
        try {
          await onRamp.close(opts);
        } catch (err) {
          this.logger.warn({ onRamp: name, err }, 'on-ramp did not close cleanly');
        }
      }
    })();
    return this.closed;
  }
}
