import { isBuiltin } from 'node:module';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin, type Rolldown } from 'vite';

/** A browser bundle and what went into it. */
export interface PageBundle {
  /** Directory holding the bundle (serve it as the web root). */
  readonly dir: string;
  /** File name of the entry chunk inside `dir`. */
  readonly entry: string;
  /** Absolute ids of every module the bundle holds, for checking what was picked. */
  readonly modules: readonly string[];
}

/** The page the browser end-to-end spec runs. */
export const CONTROLLER_PAGE = fileURLToPath(new URL('./controller-page.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where Vite sends a Node built-in that a browser build cannot have (it bundles an empty stub). */
const BROWSER_EXTERNAL = '__vite-browser-external';

/**
 * Fails the build on any import of a Node built-in (`fs`, `node:net`, ...), naming the importer.
 * Vite 8 would otherwise swap in an empty stub without a word (no error, no warning), and the
 * page would break at run time, if at all, far from the cause.
 */
function noNodeBuiltins(): Plugin {
  return {
    name: 'amora:no-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (isBuiltin(source)) this.error(`Node built-in "${source}" imported by ${importer ?? '(entry)'} in a browser bundle`);
      return null;
    },
  };
}

/**
 * Bundles `entry` for the browser with Vite's build API: one ES module (`<entry name>.js`)
 * resolved with the browser conditions (so mqtt.js's browser build), not minified. Any Node
 * built-in on the way, or any warning Vite raises, rejects.
 */
export async function bundleForBrowser(entry: string, outDir: string): Promise<PageBundle> {
  const warnings: string[] = [];
  const output = await build({
    configFile: false,
    root: ROOT,
    logLevel: 'silent',
    mode: 'production',
    plugins: [noNodeBuiltins()],
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: 'es2022',
      reportCompressedSize: false,
      copyPublicDir: false,
      lib: { entry, formats: ['es'], fileName: () => `${basename(entry, extname(entry))}.js` },
      rolldownOptions: {
        onwarn(warning) {
          warnings.push(warning.message);
        },
      },
    },
  });
  if (warnings.length > 0) throw new Error(`the browser bundle built with warnings:\n${warnings.join('\n')}`);
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((result) => ('output' in result ? result.output : []));
  const main = chunks.find((chunk): chunk is Rolldown.OutputChunk => chunk.type === 'chunk' && chunk.isEntry);
  if (!main) throw new Error('the browser bundle has no entry chunk');
  const modules = chunks.flatMap((chunk) => (chunk.type === 'chunk' ? chunk.moduleIds : []));
  const stubbed = modules.filter((id) => id.includes(BROWSER_EXTERNAL));
  if (stubbed.length > 0) throw new Error(`the browser bundle stubs out Node-only modules: ${stubbed.join(', ')}`);
  return { dir: outDir, entry: main.fileName, modules };
}
