/**
 * Runs `stop` once on the first SIGINT/SIGTERM and exits when it settles; a second signal while
 * stopping exits at once (the way people expect Ctrl-C twice to behave).
 */
export function onShutdown(stop: () => Promise<void>, log: (message: string) => void = () => undefined): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
