import { spawn } from 'node:child_process';
import type { Logger } from '../core/index.js';

/**
 * Runs `system.reboot.command` (e.g. `["systemctl", "reboot"]`) without a shell, so nothing in it
 * is interpreted, and resolves with its exit code; stderr goes to the log. Spawn failures (no
 * such program) reject.
 */
export function runRebootHook(command: readonly string[], logger: Logger): Promise<number> {
  const [program, ...args] = command;
  if (program === undefined) return Promise.reject(new Error('system.reboot.command is empty'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (stderr.trim()) logger.warn({ program, stderr: stderr.trim() }, 'reboot hook wrote to stderr');
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}
