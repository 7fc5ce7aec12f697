import { describeError } from './failure.js';

/** What onShutdown needs of the process; tests pass their own. */
export interface ShutdownHost {
  on(signal: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

const stderrLine = (message: string): void => void process.stderr.write(`amora: ${message}\n`);

/**
 * Runs `stop` once on the first SIGINT/SIGTERM and exits when it settles: 0 when it stopped
 * cleanly, 1 (with the reason on stderr) when it failed. A second signal while stopping exits at
 * once with 130 (the way people expect Ctrl-C twice to behave).
 */
export function onShutdown(stop: () => Promise<void>, log: (message: string) => void = stderrLine, host: ShutdownHost = process): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting`);
      host.exit(130);
      return;
    }
    stopping = true;
    stop().then(
      () => host.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${describeError(error)}`);
        host.exit(1);
      },
    );
  };
  host.on('SIGINT', handler);
  host.on('SIGTERM', handler);
}
