/**
 * Ends the process quietly when the reader of stdout goes away (`amora watch --json | head -1`),
 * as Unix tools do on SIGPIPE, instead of dying on an unhandled EPIPE with a stack trace. The
 * exit status is the one the command already chose, else 0: the reader stopping is not a failure.
 */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
