import { ALL_ADAPTERS } from '@itinera/adapters';
import { ALL_STEPS } from '@itinera/steps';
import { runCli } from './cli';

runCli(process.argv.slice(2), { services: ALL_STEPS, adapters: ALL_ADAPTERS }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // runCli does not throw; this is the last line of defence against a stack trace.
    process.stderr.write(`itinera: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
