import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * The environment a timed `amora` process starts with: Node's compile cache off, so a pass
 * measures a cold start whatever earlier passes or runs left in the cache (the raw script beside
 * it has none either). On Node >= 22.1 a device's later boots do use the cache (docs/cli.md).
 */
export function coldStartEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };
}

/** Ends a process the bench started (SIGTERM, SIGKILL after 10 s) and waits until it has exited. */
export async function endProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
