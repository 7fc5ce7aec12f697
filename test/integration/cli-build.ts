import { execFile } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root and the built CLI, the file `npx amora` runs. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_MAIN = join(ROOT, 'dist', 'cli', 'main.js');

const LOCK = join(ROOT, 'dist', '.cli-test-build.lock');
/** A lock older than this was left by a run that died; builds take seconds. */
const STALE_LOCK_MS = 5 * 60_000;

/**
 * Makes sure dist/ holds a build at least as new as every source file, building it when not (the
 * CLI specs spawn the built CLI, as users run it). Spec files run in parallel workers, so one
 * builds while the others wait for its lock to go. Type errors elsewhere do not stop tsc emitting;
 * `npm run typecheck` is where they fail.
 */
export async function ensureCliBuilt(): Promise<string> {
  if (await isFresh()) return CLI_MAIN;
  await mkdir(join(ROOT, 'dist'), { recursive: true });
  if (!(await takeLock())) {
    await lockReleased();
    return CLI_MAIN;
  }
  const started = Date.now();
  try {
    await tsc();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
  // Not isFresh(): a source edited by someone else during the build must not fail this run.
  const built = await stat(CLI_MAIN).then((s) => s.mtimeMs, () => 0);
  if (built < started - 1000) throw new Error(`building the CLI did not write ${CLI_MAIN}`);
  return CLI_MAIN;
}

async function isFresh(): Promise<boolean> {
  const built = await stat(CLI_MAIN).then((s) => s.mtimeMs, () => undefined);
  if (built === undefined) return false;
  return (await newestSourceMtime()) <= built;
}

/**
 * The newest mtime of the sources tsconfig.build.json compiles (spec files excluded, as it does).
 * test/support is not in its `include` (the package ships only the helpers `amora bench` imports,
 * which tsc builds by following the imports), so it is scanned besides.
 */
async function newestSourceMtime(): Promise<number> {
  const config = JSON.parse(await readFile(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  let newest = 0;
  for (const dir of [...config.include, 'test/support']) {
    const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts') || entry.name.endsWith('.d.ts')) continue;
      const mtime = (await stat(join(entry.parentPath, entry.name))).mtimeMs;
      if (mtime > newest) newest = mtime;
    }
  }
  return newest;
}

async function takeLock(): Promise<boolean> {
  try {
    await mkdir(LOCK);
    return true;
  } catch {
    const age = await stat(LOCK).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age < STALE_LOCK_MS) return false;
    await rm(LOCK, { recursive: true, force: true });
    return takeLock();
  }
}

/** Resolves when another worker's build lock is removed (watched, not polled). */
async function lockReleased(): Promise<void> {
  await new Promise<void>((resolve) => {
    const watcher = watch(join(ROOT, 'dist'), () => void check());
    const check = async (): Promise<void> => {
      if (await stat(LOCK).then(() => false, () => true)) {
        watcher.close();
        resolve();
      }
    };
    void check();
  });
}

/** tsc, then the build's rxjs step (cli/build/rxjs-shim.ts), as `npm run build` runs them. */
async function tsc(): Promise<void> {
  const run = (args: string[]) => new Promise<void>((resolve) => execFile(process.execPath, args, { cwd: ROOT }, () => resolve()));
  await run([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  await run([join(ROOT, 'dist', 'cli', 'build', 'rxjs-shim.js')]);
}
