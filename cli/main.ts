#!/usr/bin/env node
import { enableCompileCache } from './compile-cache.js';

// Before anything else loads: on Node >= 22.1 the modules imported from here on (commander, and
// for `amora agent` about 770 with core's dependencies) come from the compile cache after
// the first start. ES modules are compiled before their importer runs, so the CLI proper is a
// dynamic import.
enableCompileCache();
await import('./run.js');
