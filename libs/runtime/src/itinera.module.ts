import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
  type Type,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, Reflector } from '@nestjs/core';
import type { InvokeHandler, ItineraExtensions, Logger } from '@itinera/core';
import { Bus, type BusRoles } from './bus';
import { loadConfig, type BusConfig } from './config';
import { ITINERA_STEP } from './step.decorator';

export const BUS_OPTIONS = Symbol('ITINERA_BUS_OPTIONS');

/**
 * The node's roles and the application's own parts. `onRamps`, `sendAdapters` and
 * `services` (step services) extend the built-in lists; give the CLI the same module
 * (ITINERA_EXTENSIONS) so `itinera validate` knows them too.
 */
export interface ItineraModuleOptions extends ItineraExtensions {
  roles: BusRoles;
  /** User steps (`@ItineraStep` providers) called by `invoke` steps. */
  steps?: Type<InvokeHandler>[];
  config?: BusConfig;
  logger?: Logger;
}

/**
 * Holds the bus node for the Nest application: user steps are discovered from
 * the container (any provider marked `@ItineraStep(name)`), the bus is created
 * at bootstrap and stopped on shutdown (SIGTERM with `enableShutdownHooks`).
 */
@Injectable()
export class BusService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private bus?: Bus;

  constructor(
    @Inject(BUS_OPTIONS) private readonly options: ItineraModuleOptions,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  /** Called by the app's bootstrap before `listen` (itinerary errors stop start-up here). */
  async create(): Promise<Bus> {
    if (this.bus) return this.bus;
    const invokables = new Map<string, InvokeHandler>();
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const name = this.reflector.get<string | undefined>(ITINERA_STEP, metatype as Type);
      if (name) invokables.set(name, instance as InvokeHandler);
    }
    const { config, roles, logger, onRamps, sendAdapters, services } = this.options;
    this.bus = await Bus.create({
      config: config ?? loadConfig(),
      roles,
      invokables,
      logger,
      ...(onRamps ? { onRamps } : {}),
      ...(sendAdapters ? { sendAdapters } : {}),
      ...(services ? { services: [...services] } : {}),
    });
    return this.bus;
  }

  get(): Bus {
    if (!this.bus) throw new Error('the bus is not created yet: call create() first');
    return this.bus;
  }

  /** Before Nest closes the HTTP server: drain (closing frames, in-flight jobs). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.bus?.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus?.stop();
  }
}

@Module({})
export class ItineraModule {
  static forRoot(options: ItineraModuleOptions): DynamicModule {
    const steps: Provider[] = options.steps ?? [];
    return {
      module: ItineraModule,
      imports: [DiscoveryModule],
      providers: [{ provide: BUS_OPTIONS, useValue: options }, BusService, ...steps],
      exports: [BusService],
    };
  }
}
