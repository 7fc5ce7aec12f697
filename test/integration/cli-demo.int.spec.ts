import mqtt, { type MqttClient } from 'mqtt';
import { ReplaySubject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli, type CliProcess } from './cli-process.js';

/** `amora demo` driven by `amora ctl` and observed by `amora watch`, as the README tour does. */
describe('amora demo, ctl and watch', () => {
  let demo: CliProcess;
  let url: string;
  const presence$ = new ReplaySubject<{ device: string; status: string; reason?: string }>();
  let observer: MqttClient;

  beforeAll(async () => {
    await ensureCliBuilt();
    demo = spawnCli(['demo', '--port', '0', '--ws-port', '0', '--devices', '2']);
    await demo.stdoutLine((line) => line.includes('Ctrl-C stops the demo'));
    url = /broker on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(demo.stdout)![1]!;
    // A plain MQTT client sees the retained presence of both devices, and their goodbye at the end.
    observer = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    observer.on('message', (topic, payload) => {
      const device = topic.split('/')[2]!;
      const message = JSON.parse(payload.toString()) as { status: string; reason?: string };
      presence$.next({ device, status: message.status, ...(message.reason ? { reason: message.reason } : {}) });
    });
    await observer.subscribeAsync('amora/devices/+/connection', { qos: 1 });
  });

  afterAll(async () => {
    await observer?.endAsync(true);
    await demo?.kill();
  });

  it('prints instructions that name its broker and its devices', () => {
    expect(demo.stdout).toContain('2 virtual players online: player-001, player-002');
    expect(demo.stdout).toContain(`npx amora ctl player-001 setVolume volume=40 --url ${url}`);
    expect(demo.stdout).toContain(`npx amora watch --url ${url}`);
  });

  it('ctl runs a command and prints ok, exit 0', async () => {
    const result = await runCli(['ctl', 'player-001', 'setVolume', 'volume=40', '--url', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok setVolume \(.+\)$/);
  });

  it('ctl --json prints the response object', async () => {
    const result = await runCli(['ctl', 'player-001', 'getStatus', '--json', '--url', url]);
    expect(result.code).toBe(0);
    const response = JSON.parse(result.stdout) as { success: boolean; command: string; result: { audio: { volume: number } } };
    expect(response).toMatchObject({ success: true, command: 'getStatus', result: { audio: { volume: 40 } } });
  });

  it('ctl exits 1 with invalid_params naming the parameter when the device refuses a value', async () => {
    const result = await runCli(['ctl', 'player-001', 'setVolume', 'volume=150', '--url', url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error invalid_params: .*volume/);
  });

  it('ctl exits 1 with unknown_command for a command the device does not have', async () => {
    const result = await runCli(['ctl', 'player-001', 'frobnicate', '--url', url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error unknown_command: .*frobnicate/);
  });

  it('ctl exits 4 when no device answers within --timeout', async () => {
    const result = await runCli(['ctl', 'player-404', 'play', '--timeout', '500', '--url', url]);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(`amora: no response from player-404 to play within 500 ms: no device player-404 has announced itself on ${url}`);
  });

  it('ctl exits 3 naming the address when nobody listens there', async () => {
    const port = await freePort();
    const result = await runCli(['ctl', 'player-001', 'play', '--url', `mqtt://127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr.split('\n')).toHaveLength(1);
  });

  it('watch --json prints presence and state lines, follows a change made by ctl, and exits 0 on SIGINT', async () => {
    const watch = spawnCli(['watch', '--json', '--url', url]);
    try {
      const events$ = new ReplaySubject<{ type: string; device_id: string; status?: string; state?: { audio?: { volume?: number } } }>();
      watch.stdout$.subscribe((line) => events$.next(JSON.parse(line) as never));
      await waitFor(events$, (e) => e.type === 'connection' && e.device_id === 'player-001' && e.status === 'online');
      await waitFor(events$, (e) => e.type === 'state' && e.device_id === 'player-002');
      await waitFor(events$, (e) => e.type === 'state' && e.device_id === 'player-001');

      const result = await runCli(['ctl', 'player-001', 'setVolume', 'volume=33', '--url', url]);
      expect(result.code).toBe(0);
      const changed = await waitFor(events$, (e) => e.type === 'state' && e.device_id === 'player-001' && e.state?.audio?.volume === 33);
      expect(changed).toMatchObject({ changed: { audio: { volume: 33 } } });

      expect(await watch.stop('SIGINT')).toEqual({ code: 0, signal: null });
      expect(watch.stderr).toBe('');
    } finally {
      await watch.kill();
    }
  });

  it('watch exits quietly, status 0, when the reader of its output goes away (| head -1)', async () => {
    const watch = spawnCli(['watch', 'player-002', '--json', '--url', url]);
    try {
      await watch.stdoutLine((line) => line.includes('"type":"state"'));
      watch.child.stdout!.destroy();
      // The next change makes watch write into the closed pipe.
      expect((await runCli(['ctl', 'player-002', 'setVolume', 'volume=21', '--url', url])).code).toBe(0);
      expect(await watch.exited).toEqual({ code: 0, signal: null });
      expect(watch.stderr).toBe('');
    } finally {
      await watch.kill();
    }
  });

  it('on SIGINT every device publishes offline (graceful) and the demo exits 0', async () => {
    await waitFor(presence$, (p) => p.device === 'player-001' && p.status === 'online');
    await waitFor(presence$, (p) => p.device === 'player-002' && p.status === 'online');
    const exited = demo.stop('SIGINT');
    await waitFor(presence$, (p) => p.device === 'player-001' && p.status === 'offline');
    await waitFor(presence$, (p) => p.device === 'player-002' && p.status === 'offline');
    const goodbyes: { device: string; status: string; reason?: string }[] = [];
    presence$.subscribe((p) => p.status === 'offline' && goodbyes.push(p));
    expect(goodbyes.every((p) => p.reason === 'graceful')).toBe(true);
    expect(await exited).toEqual({ code: 0, signal: null });
  });
});
