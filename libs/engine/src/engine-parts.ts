import { Expressions, type ExpressionLimits } from './expressions';
import type { ItineraryRegistry } from './itinerary.registry';
import { Resolvers } from './resolvers';
import { Schemas } from './schemas';

/** The load-time half of the engine, built from one registry. */
export interface EngineParts {
  registry: ItineraryRegistry;
  expressions: Expressions;
  schemas: Schemas;
  resolvers: Resolvers;
}

/** Build expressions, schemas and resolvers over a loaded registry (rules engines are built here, once). */
export function createEngineParts(registry: ItineraryRegistry, opts: { limits?: Partial<ExpressionLimits> } = {}): EngineParts {
  const expressions = new Expressions(registry, opts.limits);
  const schemas = new Schemas(registry.schemas());
  const resolvers = new Resolvers({ registry, expressions });
  return { registry, expressions, schemas, resolvers };
}
