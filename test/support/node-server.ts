import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import { SupervisedProcess } from './supervised-process.js';

const require = createRequire(import.meta.url);
const READY_TIMEOUT_MS = 20_000;
const BIND_ATTEMPTS = 3;

/** The script of an npm package's `bin` entry, run with this Node (no shell, no PATH lookup). */
export function packageBin(pkg: string, bin: string): string {
  const manifest = require(`${pkg}/package.json`) as { bin?: Record<string, string> | string };
  const entry = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[bin];
  if (entry === undefined) throw new Error(`${pkg} has no bin "${bin}"`);
  return join(dirname(require.resolve(`${pkg}/package.json`)), entry);
}

/**
 * Starts a Node-based test server (Azurite, s3rver) on a free port of 127.0.0.1 as a supervised
 * process: `args(port)` builds its command line; ready once the port accepts a connection. A port
 * taken between freePort() and bind is retried with another one.
 */
export async function startNodeServer(name: string, script: string, args: (port: number) => readonly string[]): Promise<{ server: SupervisedProcess; port: number }> {
  const server = new SupervisedProcess(name, process.execPath);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await server.start([script, ...args(port)], () => accepts(port), READY_TIMEOUT_MS, `listen on ${port}`);
      return { server, port };
    } catch (error) {
      await server.stop('SIGKILL');
      if (attempt < BIND_ATTEMPTS && /EADDRINUSE|address already in use/i.test(String(error))) continue;
      await server.dispose('SIGKILL');
      throw error;
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
