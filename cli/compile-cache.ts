import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `module.enableCompileCache` (Node >= 22.1); the Node 20 typings do not know it. */
type EnableCompileCache = (directory?: string) => unknown;

/**
 * Where the CLI asks Node to keep its compile cache (V8 code for the modules a start loads, which
 * a later start reuses instead of compiling them again), or undefined to leave the choice to Node:
 * `NODE_COMPILE_CACHE` when set (Node honours it itself); else `$XDG_CACHE_HOME/amora-sync/`,
 * else `~/.cache/amora-sync/` (the XDG default), each under `node-compile-cache`.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env['NODE_COMPILE_CACHE']) return undefined;
  const base = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'amora-sync', 'node-compile-cache');
}

/**
 * Turns on Node's module compile cache for the rest of this process where Node has one (22.1 and
 * later; nothing on Node 20). Only modules loaded after this call use it, so the entry point calls
 * it before importing the rest of the CLI. Node never throws here: a directory it cannot create or
 * write (a read-only home) leaves the cache off, and NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (nodeModule as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable !== 'function') return;
  let directory: string | undefined;
  try {
    directory = compileCacheDir(env);
  } catch {
    // No home directory to find: Node's default (under the temporary directory) still works.
  }
  enable(directory);
}

/**
 * Writes what the compile cache gathered so far (Node >= 23), which Node otherwise does only when
 * the process exits: an agent that loses power or is killed never exits, and would compile
 * everything again at the next boot. Called once the agent runs, when its modules are loaded.
 */
export function flushCompileCache(): void {
  (nodeModule as { flushCompileCache?: () => void }).flushCompileCache?.();
}
