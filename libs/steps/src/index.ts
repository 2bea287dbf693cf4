// Step services: one file each, registered through ALL_STEPS.
export * from './all-steps';
export { transformStep, type TransformParams } from './transform.step';
export { validateStep, type ValidateParams } from './validate.step';
export { routeStep, ENDPOINT_CONTEXT, type RouteParams } from './route.step';
export { sendStep, type SendParams } from './send.step';
export { replyStep, type ReplyParams } from './reply.step';
export { callbackStep, type CallbackParams, type UndeliveredCallback } from './callback.step';
export { sessionStep, type SessionParams } from './session.step';
export { invokeStep, type InvokeParams } from './invoke.step';
export { faultStep, type FaultParams } from './fault.step';
export { delayStep, MAX_DELAY_MS, type DelayParams } from './delay.step';
export { PARAMS_INVALID } from './shared/step-results';
// Test support: a fake runtime and step context (also used by the engine's and apps' tests).
export { createFakeStepContext, createFakeEnvelope, runFakeStep, type FakeStepContext, type FakeStepContextOptions } from './testing/fake-context';
export {
  createFakeRuntime,
  fakeExpressions,
  fakeSchemas,
  recordingLogger,
  type FakeRuntime,
  type FakeRuntimeOptions,
  type LogLine,
} from './testing/fake-runtime';
export { FakeSessionStore } from './testing/fake-session-store';
export { createFakeLoadCheckContext, type FakeLoadCheckOptions } from './testing/fake-load-check';
