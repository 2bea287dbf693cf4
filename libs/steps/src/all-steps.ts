import type { StepService } from '@itinera/core';
import { callbackStep } from './callback.step';
import { delayStep } from './delay.step';
import { faultStep } from './fault.step';
import { invokeStep } from './invoke.step';
import { replyStep } from './reply.step';
import { routeStep } from './route.step';
import { sendStep } from './send.step';
import { sessionStep } from './session.step';
import { transformStep } from './transform.step';
import { validateStep } from './validate.step';

/** Every built-in step service. A new service is one file plus one line here. */
export const ALL_STEPS: StepService[] = [
  validateStep,
  transformStep,
  routeStep,
  sendStep,
  replyStep,
  callbackStep,
  sessionStep,
  invokeStep,
  faultStep,
  delayStep,
];
