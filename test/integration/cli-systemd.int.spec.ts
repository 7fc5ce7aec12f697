import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { startNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { describeWithBinaries, itWithBinaries } from '../support/system-deps.js';
import { ensureCliBuilt, ROOT } from './cli-build.js';
import { spawnCli } from './cli-process.js';

/** `amora agent` under a Type=notify unit's environment, with the socket systemd would give it. */
describeWithBinaries(['mosquitto', 'python3', 'systemd-notify'], 'amora agent under systemd (Type=notify, WatchdogSec)', ({ python3 }) => {
  let mosquitto: MosquittoHandle;
  let socket: NotifySocket;

  beforeAll(async () => {
    await ensureCliBuilt();
    mosquitto = await startMosquitto();
    socket = await startNotifySocket(python3);
  }, 60_000);

  afterAll(async () => {
    await socket?.dispose();
    await mosquitto?.dispose();
  });

  it('sends READY=1 once running, WATCHDOG=1 every half period, STOPPING=1 on SIGTERM', async () => {
    const agent = spawnCli(['agent'], {
      AMORA_DEVICE_ID: 'systemd-1',
      AMORA__transports__0__url: mosquitto.url,
      NOTIFY_SOCKET: socket.path,
      // WatchdogSec=0.4 s: a ping every 200 ms.
      WATCHDOG_USEC: '400000',
    });
    try {
      const ready = await socket.next('READY=1');
      const pid = agent.child.pid!;
      expect(ready.lines).toEqual([`MAINPID=${pid}`, 'READY=1', 'STATUS=running systemd-1']);
      // Not before the agent said it runs: a unit is "active" only when it is.
      expect(agent.stderr).toContain('"agent running"');
      const first = await socket.next('WATCHDOG=1', socket.messages.indexOf(ready));
      const second = await socket.next('WATCHDOG=1', socket.messages.indexOf(first) + 1);
      expect(second.lines).toEqual([`MAINPID=${pid}`, 'WATCHDOG=1']);
      expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      const stopping = await socket.next('STOPPING=1');
      expect(stopping.lines).toEqual([`MAINPID=${pid}`, 'STOPPING=1', 'STATUS=stopping']);
    } finally {
      await agent.kill();
    }
  }, 60_000);

  it('sends nothing for a watchdog meant for another process (WATCHDOG_PID)', async () => {
    const before = socket.messages.length;
    const agent = spawnCli(['agent'], { AMORA_DEVICE_ID: 'systemd-2', AMORA__transports__0__url: mosquitto.url, NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' });
    try {
      await socket.next('STATUS=running systemd-2', before);
      expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      await socket.next('STOPPING=1', before);
      const lines = socket.messages.slice(before).flatMap((m) => m.lines);
      expect(lines).not.toContain('WATCHDOG=1');
    } finally {
      await agent.kill();
    }
  }, 60_000);

  itWithBinaries(['systemd-analyze'], 'the shipped unit is Type=notify with a watchdog, a restart policy and hardening, and systemd-analyze accepts it', async ({ 'systemd-analyze': analyze }) => {
    const unit = await readFile(join(ROOT, 'examples/systemd/amora-agent.service'), 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=30', 'Restart=on-failure', 'RestartPreventExitStatus=2 5', 'NoNewPrivileges=yes', 'ProtectSystem=strict']) {
      expect(unit.split('\n')).toContain(line);
    }
    const { execFile } = await import('node:child_process');
    const output = await new Promise<string>((resolve) =>
      execFile(analyze, ['verify', join(ROOT, 'examples/systemd/amora-agent.service')], (error, stdout, stderr) => resolve(`${error ? `exit ${error.code}\n` : ''}${stdout}${stderr}`)),
    );
    expect(output).toBe('');
  });
});
