import type { SendAdapter, StepService } from '@itinera/core';
import { runCli } from './cli';

const argv = process.argv.slice(2);

/**
 * The step services and send adapters that validate and graph check itineraries
 * against. Only those two load them: the bus commands (send, trace, faults) start
 * in a fraction of the time without them.
 */
async function parts(): Promise<{ services: readonly StepService<any>[]; adapters: readonly SendAdapter<any>[] }> {
  if (argv[0] !== 'validate' && argv[0] !== 'graph') return { services: [], adapters: [] };
  const [{ ALL_STEPS }, { ALL_ADAPTERS }] = await Promise.all([import('@itinera/steps'), import('@itinera/adapters')]);
  return { services: ALL_STEPS, adapters: ALL_ADAPTERS };
}

// `itinera graph x | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    process.exit(err.code === 'EPIPE' ? (process.exitCode ?? 0) : 1);
  });
}

parts()
  .then((deps) => runCli(argv, deps))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // runCli does not throw; this is the last line of defence against a stack trace.
      process.stderr.write(`itinera: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
