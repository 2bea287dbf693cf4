import { OrderNumberStep } from './order-number.step';

/** The samples' TypeScript steps; apps list them in ItineraModule.forRoot({ steps }). */
export const SAMPLE_STEPS = [OrderNumberStep];
export { OrderNumberStep };
