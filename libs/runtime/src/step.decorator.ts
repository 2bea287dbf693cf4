import { SetMetadata } from '@nestjs/common';

export const ITINERA_STEP = 'itinera:step';

/**
 * Marks a NestJS provider as a user step that `invoke` steps call by name:
 *
 *   @ItineraStep('order-number')
 *   @Injectable()
 *   export class OrderNumberStep implements InvokeHandler { run(ctx) { … } }
 *
 * List the class in `ItineraModule.forRoot({ steps: [OrderNumberStep] })` (or any
 * module's providers): it is discovered at start-up, and itineraries that name an
 * unregistered step fail validation.
 */
export const ItineraStep = (name: string): ClassDecorator => SetMetadata(ITINERA_STEP, name);
