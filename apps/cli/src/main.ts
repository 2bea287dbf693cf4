import { runCli } from './cli';
import { cliParts } from './cli-parts';

const argv = process.argv.slice(2);

// `itinera graph x | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    process.exit(err.code === 'EPIPE' ? (process.exitCode ?? 0) : 1);
  });
}

cliParts(argv[0], process.env)
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
