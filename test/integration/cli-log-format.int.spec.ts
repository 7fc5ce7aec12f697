import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itWithBinaries } from '../support/system-deps.js';
import { CLI_MAIN, ensureCliBuilt, ROOT } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

/** An SGR color sequence (ESC [ ... m). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

/**
 * Runs `amora broker --port 0` on a pseudo-terminal (util-linux `script`), as a person at a
 * terminal runs it, until its first log line is on screen; returns all it showed.
 */
async function onTerminal(env: NodeJS.ProcessEnv, script: string): Promise<string> {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_MAIN)} broker --port 0`;
  const child = spawn(script, ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env, TERM: 'xterm-256color' }, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let screen = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        screen += chunk.toString('utf8');
        if (screen.includes('embedded MQTT broker listening')) resolve();
      });
      child.once('exit', () => reject(new Error(`the broker exited before logging:\n${screen}`)));
    });
  } finally {
    // The group holds script, its shell and the broker: all of it was started here.
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  }
  return screen;
}

describe('log format on a terminal and in a pipe', () => {
  beforeAll(async () => {
    await ensureCliBuilt();
  }, 60_000);

  itWithBinaries(['script'], 'a terminal gets readable colored lines', async ({ script }) => {
    const screen = await onTerminal({ NO_COLOR: '' }, script);
    expect(screen).toMatch(ANSI);
    expect(screen.replace(new RegExp(ANSI, 'g'), '')).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] INFO: embedded MQTT broker listening \{"component":"broker","host":"127\.0\.0\.1","port":\d+[,}]/);
    expect(screen).not.toContain('"level":30');
  }, 60_000);

  itWithBinaries(['script'], 'NO_COLOR keeps a terminal readable without colors', async ({ script }) => {
    const screen = await onTerminal({ NO_COLOR: '1' }, script);
    expect(screen).not.toMatch(ANSI);
    expect(screen).toMatch(/INFO: embedded MQTT broker listening/);
  }, 60_000);

  describe('a pipe', () => {
    const started: CliProcess[] = [];
    afterAll(async () => {
      for (const child of started) await child.kill();
    });

    it('gets one JSON object per line, and --log-format pretty turns it readable', async () => {
      const json = spawnCli(['broker', '--port', '0']);
      started.push(json);
      const line = await json.stderrLine((l) => l.includes('embedded MQTT broker listening'));
      expect(JSON.parse(line)).toMatchObject({ level: 30, msg: 'embedded MQTT broker listening', component: 'broker' });

      const pretty = spawnCli(['agent', '--log-format', 'pretty'], { AMORA_DEVICE_ID: 'log-format-1' });
      started.push(pretty);
      const shown = await pretty.stderrLine((l) => l.includes('starting agent'));
      expect(shown).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: starting agent \{"config":\{"device":\{"id":"log-format-1"/);
      expect(shown).not.toMatch(ANSI);
    });
  });
});
