import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent, buildController } from '../../core/agent/container.js';
import { parseConfig } from '../../core/config/parse.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { createDevicePki, type DevicePki } from '../support/device-pki.js';

const SECRET = 'agents-jwt-secret-of-at-least-32-chars!';

/**
 * The seeds' model end to end on the embedded broker: agents log in with their device
 * certificates over TLS, an app with a JWT naming one device; the app drives that device and
 * cannot reach the other.
 */
describe('agents by certificate, an app by JWT, on the embedded broker', () => {
  let pki: DevicePki;
  let broker: EmbeddedBroker;
  const agents: Agent[] = [];
  let app: ControllerTransport;

  beforeAll(async () => {
    pki = createDevicePki();
    broker = await startEmbeddedBroker({
      port: 0,
      auth: { jwt: { secret: SECRET } },
      tls: { port: 0, cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caPem, requireClientCert: true },
    });
    for (const id of ['player-001', 'player-002']) {
      const { certPem, keyPem } = pki.client(id);
      const config = parseConfig({
        device: { id },
        transports: [{ kind: 'mqtt', url: `mqtts://127.0.0.1:${broker.tlsPort}`, protocolVersion: 4, tls: { ca: pki.caPem, cert: certPem, key: keyPem } }],
        system: { enabled: false },
      });
      const agent = await buildAgent(config, createBuiltinRegistry());
      await agent.start();
      agents.push(agent);
    }
    const token = await new SignJWT({ amora_devices: ['player-001'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    const appConfig = parseConfig({ device: { id: 'app' }, transports: [{ kind: 'mqtt', url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: 4, username: 'alice', password: token }] });
    app = await buildController(appConfig, createBuiltinRegistry());
    await app.start(new AbortController().signal);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all(agents.map((agent) => agent.stop()));
    await broker?.close();
  });

  it('commands the device its token names and reads its state', async () => {
    const response = await app.invoke('player-001', 'setVolume', { volume: 42 }, { timeoutMs: 10_000 });
    expect(response).toMatchObject({ success: true });
    await expect.poll(async () => ((await app.getState('player-001'))?.state['audio'] as { volume?: number } | undefined)?.volume, { timeout: 10_000 }).toBe(42);
  });

  it('cannot reach the other device: the broker refuses its answers topic, and the command never arrives', async () => {
    // MQTT 3.1.1: the controller first subscribes to the device's responses, which its token does not grant.
    const denied = broker.denials.subscribes;
    await expect(app.invoke('player-002', 'setVolume', { volume: 1 }, { timeoutMs: 1_500 })).rejects.toThrow(/subscribe/i);
    expect(broker.denials.subscribes).toBeGreaterThan(denied);
    expect((agents[1]!.state.snapshot.state['audio'] as { volume?: number } | undefined)?.volume).not.toBe(1);
  });

  it('with responseSubscription fleet: its wildcard is accepted, so a command to the other device is dropped and times out', async () => {
    const token = await new SignJWT({ amora_devices: ['player-001'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    const config = parseConfig({
      device: { id: 'fleet-app' },
      transports: [{ kind: 'mqtt', url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: 4, username: 'alice', password: token, responseSubscription: 'fleet' }],
    });
    const fleetApp = await buildController(config, createBuiltinRegistry());
    await fleetApp.start(new AbortController().signal);
    try {
      expect(await fleetApp.invoke('player-001', 'setVolume', { volume: 43 }, { timeoutMs: 10_000 })).toMatchObject({ success: true });
      const denied = broker.denials.publishes;
      await expect(fleetApp.invoke('player-002', 'setVolume', { volume: 2 }, { timeoutMs: 1_500 })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(broker.denials.publishes).toBeGreaterThan(denied);
      expect((agents[1]!.state.snapshot.state['audio'] as { volume?: number } | undefined)?.volume).not.toBe(2);
    } finally {
      await fleetApp.stop();
    }
  });

  it("lists only its own device among those it watches", async () => {
    await expect.poll(async () => {
      const devices = await new Promise<readonly { deviceId: string }[]>((resolve) => {
        const subscription = app.devices$().subscribe((list) => {
          if (list.length > 0) {
            resolve(list);
            queueMicrotask(() => subscription.unsubscribe());
          }
        });
      });
      return devices.map((device) => device.deviceId);
    }, { timeout: 10_000 }).toEqual(['player-001']);
  });
});
