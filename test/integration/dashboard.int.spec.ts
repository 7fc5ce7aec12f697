import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMosquitto } from '../support/mosquitto.js';
import { describeWithBinaries, itWithBinaries } from '../support/system-deps.js';

import { ensureCliBuilt, ROOT } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Screenshots and the frame-time figure land here (gitignored) for a person to look at. */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const DEVICES = ['dash-001', 'dash-002', 'dash-003'];
const FLEET_SIZE = 1_400;

/** A state message as an agent publishes it, for the simulated fleet. */
function fleetState(id: string, volume: number): string {
  return JSON.stringify({ device_id: id, version: volume + 1, timestamp: Date.now(), state: { playback: { status: 'playing', current_track: `Track ${volume}` }, audio: { volume }, system: { version: '0.1.0' } } });
}

interface FrameReport {
  readonly frames: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/** The parts of a player's reported state these tests read. */
interface PlayerState {
  readonly playback?: { readonly status?: string; readonly playlist?: string | null };
  readonly audio?: { readonly volume?: number };
}

/** The retained state of a device as a client connecting now reads it. */
async function retainedState(client: MqttClient, deviceId: string, accept: (state: PlayerState) => boolean): Promise<PlayerState> {
  const topic = `amora/devices/${deviceId}/state`;
  return new Promise((resolve) => {
    const onMessage = (received: string, payload: Buffer): void => {
      if (received !== topic) return;
      const message = JSON.parse(payload.toString()) as { state: PlayerState };
      if (accept(message.state)) {
        client.removeListener('message', onMessage);
        void client.unsubscribeAsync(topic);
        resolve(message.state);
      }
    };
    client.on('message', onMessage);
    void client.subscribeAsync(topic, { qos: 1 });
  });
}

/** `amora dashboard` in the system Chromium, against `amora broker` and three `amora agent`s. */
describeWithBinaries(['chromium'], 'amora dashboard in a real browser', (bin) => {
  const processes: CliProcess[] = [];
  let browser: Browser;
  let page: Page;
  let tcpUrl: string;
  let dashboardUrl: string;
  let observer: MqttClient;

  beforeAll(async () => {
    await ensureCliBuilt();
    // tsc alone does not build the page: build it as `npm run build` does.
    await build({ configFile: join(ROOT, 'dashboard/vite.config.ts'), logLevel: 'error' });
    const broker = spawnCli(['broker', '--port', '0', '--ws-port', '0']);
    processes.push(broker);
    tcpUrl = (await broker.stdoutLine((l) => l.startsWith('broker listening on '))).slice('broker listening on '.length);
    const wsUrl = (await broker.stdoutLine((l) => l.startsWith('websocket on '))).slice('websocket on '.length);
    const agents = DEVICES.map((id) => spawnCli(['agent'], { AMORA_DEVICE_ID: id, AMORA__transports__0__url: tcpUrl }));
    processes.push(...agents);
    await Promise.all(agents.map((agent) => agent.stderrLine((l) => l.includes('"agent running"'))));
    const dashboard = spawnCli(['dashboard', '--url', wsUrl, '--port', '0']);
    processes.push(dashboard);
    dashboardUrl = (await dashboard.stdoutLine((l) => l.startsWith('dashboard on '))).split(' ')[2]!;
    observer = await mqtt.connectAsync(tcpUrl, { reconnectPeriod: 0, protocolVersion: 4 });
    browser = await chromium.launch({ executablePath: bin.chromium, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await observer?.endAsync(true);
    for (const started of processes.toReversed()) await started.kill();
  });

  it('shows the three devices live, drives one, and shows a coded error for an invalid action', async () => {
    await page.goto(dashboardUrl);
    await expect.poll(() => page.getByTestId('device-count').textContent(), { timeout: 30_000 }).toBe('3');
    await expect.poll(() => page.getByTestId('online-count').textContent(), { timeout: 30_000 }).toBe('3');
    for (const id of DEVICES) await page.locator(`[data-device="${id}"]`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-fleet.png') });

    await page.locator('[data-device="dash-002"]').click();
    await expect.poll(() => page.getByTestId('device-title').textContent()).toBe('dash-002');
    await page.getByRole('button', { name: 'play', exact: true }).click();
    await expect.poll(() => page.getByTestId('device-playback').textContent(), { timeout: 20_000 }).toBe('playing');
    expect((await retainedState(observer, 'dash-002', (s) => s.playback?.status === 'playing')).playback?.status).toBe('playing');
    await page.getByRole('button', { name: 'pause', exact: true }).click();
    await expect.poll(() => page.getByTestId('device-playback').textContent(), { timeout: 20_000 }).toBe('paused');
    await page.getByTestId('playlist-picker').selectOption('Focus');
    await expect.poll(() => page.getByTestId('device-playback').textContent(), { timeout: 20_000 }).toBe('playing');
    expect((await retainedState(observer, 'dash-002', (s) => s.playback?.playlist === 'Focus')).playback?.status).toBe('playing');
    await page.getByTestId('volume-slider').fill('37');
    await expect.poll(() => page.getByTestId('device-volume').textContent(), { timeout: 20_000 }).toBe('37');
    expect((await retainedState(observer, 'dash-002', (s) => s.audio?.volume === 37)).audio?.volume).toBe(37);

    await page.getByTestId('custom-command').fill('setVolume');
    await page.getByTestId('custom-params').fill('{"volume": 150}');
    await page.getByTestId('custom-send').click();
    const answers = page.getByTestId('answers');
    await expect.poll(() => answers.locator('li').first().textContent(), { timeout: 20_000 }).toContain('invalid_params');
    expect(await answers.textContent()).toContain('setVolume {"volume":37} → ok');
    expect(await page.getByTestId('raw-state').textContent()).toContain('"volume": 37');
    // The agent kept its volume: the invalid action changed nothing.
    expect((await retainedState(observer, 'dash-002', () => true)).audio?.volume).toBe(37);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-device.png') });
  }, 120_000);

  it(`renders ${FLEET_SIZE} devices and keeps up with their updates (frame time reported)`, async () => {
    await page.goto(dashboardUrl);
    await expect.poll(() => page.getByTestId('device-count').textContent(), { timeout: 30_000 }).toBe('3');
    const publisher = await mqtt.connectAsync(tcpUrl, { reconnectPeriod: 0, protocolVersion: 4 });
    const ids = Array.from({ length: FLEET_SIZE }, (_, i) => `fleet-${String(i + 1).padStart(4, '0')}`);
    try {
      // Frame intervals measured in the page while the whole fleet arrives, then updates, then scrolls.
      await page.evaluate(() => {
        const w = window as unknown as { frameTimes: number[]; measuring: boolean };
        w.frameTimes = [];
        w.measuring = true;
        let last = performance.now();
        const tick = (now: number): void => {
          w.frameTimes.push(now - last);
          last = now;
          if (w.measuring) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      for (const id of ids) {
        publisher.publish(`amora/devices/${id}/connection`, JSON.stringify({ device_id: id, status: 'online', timestamp: Date.now() }), { qos: 0, retain: true });
        publisher.publish(`amora/devices/${id}/state`, fleetState(id, 10), { qos: 0, retain: true });
      }
      await expect.poll(() => page.getByTestId('device-count').textContent(), { timeout: 60_000 }).toBe(String(FLEET_SIZE + 3));
      await expect.poll(() => page.getByTestId('online-count').textContent(), { timeout: 60_000 }).toBe(String(FLEET_SIZE + 3));
      for (const id of ids) publisher.publish(`amora/devices/${id}/state`, fleetState(id, 55), { qos: 0, retain: true });
      await page.getByTestId('fleet-viewport').evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
      const lastRow = page.locator(`[data-device="${ids.at(-1)!}"]`);
      await expect.poll(() => lastRow.getByTestId('volume').textContent(), { timeout: 60_000 }).toBe('55');
      // Only the rows in view are in the page.
      expect(await page.locator('.device-row').count()).toBeLessThan(80);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-fleet-1400.png') });
      const report = await page.evaluate((): FrameReport => {
        const w = window as unknown as { frameTimes: number[]; measuring: boolean };
        w.measuring = false;
        const sorted = w.frameTimes.slice(1).toSorted((a, b) => a - b);
        const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
        return { frames: sorted.length, p50: at(0.5), p95: at(0.95), max: at(1) };
      });
      await writeFile(join(ARTIFACTS, 'dashboard-frame-times.json'), `${JSON.stringify({ devices: FLEET_SIZE, ...report }, null, 2)}\n`);
      console.log(`dashboard, ${FLEET_SIZE} devices: ${report.frames} frames, frame time p50 ${report.p50} ms, p95 ${report.p95} ms, max ${report.max} ms`);
      expect(report.frames).toBeGreaterThan(0);
    } finally {
      for (const id of ids) {
        publisher.publish(`amora/devices/${id}/state`, '', { qos: 0, retain: true });
        publisher.publish(`amora/devices/${id}/connection`, '', { qos: 0, retain: true });
      }
      await publisher.endAsync();
    }
  }, 180_000);

  itWithBinaries(['mosquitto', 'mosquitto_passwd'], 'asks for a login when the broker refuses anonymous clients, and connects with it', async (paths) => {
    const wsPort = await freePort();
    const secrets = await mkdtemp(join(tmpdir(), 'amora-dashboard-login-'));
    execFileSync(paths.mosquitto_passwd, ['-b', '-c', join(secrets, 'passwd'), 'operator', 's3cret-pass']);
    const mosquitto = await startMosquitto({ allowAnonymous: false, extraConfig: `listener ${wsPort} 127.0.0.1\nprotocol websockets\npassword_file ${join(secrets, 'passwd')}` });
    const dashboard = spawnCli(['dashboard', '--url', `ws://127.0.0.1:${wsPort}`, '--port', '0', '--username', 'operator']);
    processes.push(dashboard);
    try {
      const url = (await dashboard.stdoutLine((l) => l.startsWith('dashboard on '))).split(' ')[2]!;
      const login = await browser.newPage();
      await login.goto(url);
      await expect.poll(() => login.getByTestId('login-error').textContent(), { timeout: 30_000 }).toMatch(/Not authorized|refused|authori/i);
      expect(await login.locator('input[name="username"]').inputValue()).toBe('operator');
      await login.locator('input[name="password"]').fill('s3cret-pass');
      await login.getByRole('button', { name: 'connect' }).click();
      await expect.poll(() => login.getByTestId('device-count').textContent(), { timeout: 30_000 }).toBe('0');
      await login.close();
    } finally {
      await mosquitto.dispose();
      await rm(secrets, { recursive: true, force: true });
    }
  }, 120_000);
});
