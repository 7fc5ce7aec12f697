import { exitQuietlyOnClosedPipe } from './closed-pipe.js';
import { failureOf } from './failure.js';
import { createProgram } from './program.js';

// What `amora` does, once cli/main.ts has turned on the compile cache.
// Exit status (docs/cli.md): 0 ok, 1 error answer, 2 usage or config, 3 unreachable, 4 timeout.
// Long-running commands (agent, broker, demo, watch) return from their action once started and
// end through their signal handlers; one-shot commands end when their work is done.
exitQuietlyOnClosedPipe();
try {
  const program = await createProgram(process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (error) {
  const failure = failureOf(error);
  if (failure.message) process.stderr.write(`${failure.message}\n`);
  process.exit(failure.exitCode);
}
