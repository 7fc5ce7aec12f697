import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { createDevicePki, type DevicePki } from '../support/device-pki.js';
import { connectRaw, refusalCode, type RawClient } from '../support/raw-mqtt-client.js';
import { describeWithBinaries } from '../support/system-deps.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const ISSUER = 'https://login.example/amora';
const AUDIENCE = 'amora-broker';

function hsToken(claims: Record<string, unknown>, expiresIn: string | number = '1h', issuer = ISSUER): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(issuer).setAudience(AUDIENCE).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(SECRET));
}

describe('embedded broker: JWT users', () => {
  let broker: EmbeddedBroker;
  let url: string;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0, auth: { jwt: { secret: SECRET, issuer: ISSUER, audience: AUDIENCE } } });
    url = `mqtt://127.0.0.1:${broker.port}`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end()));
    await broker?.close();
  });

  const user = async (token: string, clientId?: string): Promise<RawClient> => {
    const client = await connectRaw(url, { username: 'alice', password: token, ...(clientId ? { clientId } : {}) });
    clients.push(client);
    return client;
  };

  it('refuses a stranger, a forged token, another issuer and an expired token', async () => {
    expect(await refusalCode(connectRaw(url))).toBe(5);
    const forged = await new SignJWT({ amora_devices: ['player-001'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-of-at-least-32-characters'));
    expect(await refusalCode(connectRaw(url, { username: 'alice', password: forged }))).toBe(4);
    expect(await refusalCode(connectRaw(url, { username: 'alice', password: await hsToken({ amora_devices: ['player-001'] }, '1h', 'https://evil.example') }))).toBe(4);
    const expired = await hsToken({ amora_devices: ['player-001'] }, Math.floor(Date.now() / 1000) - 60);
    expect(await refusalCode(connectRaw(url, { username: 'alice', password: expired }))).toBe(4);
    expect(broker.denials.connects).toBeGreaterThanOrEqual(4);
  });

  it('keeps a user to the devices its claim names', async () => {
    const alice = await user(await hsToken({ amora_devices: ['player-001'] }));
    expect(await alice.subscribe('amora/devices/player-001/state')).toBe(1);
    expect(await alice.subscribe('amora/devices/player-002/state')).toBe(128);
    expect(await alice.subscribe('amora/devices/player-002/#')).toBe(128);
    const denied = broker.denials.publishes;
    await alice.publish('amora/devices/player-002/commands', '{"command":"play","command_id":"c","params":{}}');
    expect(broker.denials.publishes).toBe(denied + 1);
  });

  it('reads a devices claim given as a space separated string (Azure AD B2C custom attributes)', async () => {
    const b2c = await user(await hsToken({ amora_devices: 'player-007 player-008' }));
    expect(await b2c.subscribe('amora/devices/player-008/state')).toBe(1);
    expect(await b2c.subscribe('amora/devices/player-009/state')).toBe(128);
  });

  it('closes the connection when the token expires', async () => {
    const shortLived = await user(await hsToken({ amora_devices: ['player-001'] }, Math.floor(Date.now() / 1000) + 2));
    await shortLived.closed();
    expect(shortLived.client.connected).toBe(false);
  });

  it('keeps a connection whose token is valid for longer than a Node timer can wait', async () => {
    const longLived = await user(await hsToken({ amora_devices: ['player-001'] }, '60d'));
    expect(await longLived.subscribe('amora/devices/player-001/state')).toBe(1);
    await longLived.publish('amora/devices/player-001/commands', '{}');
    expect(longLived.client.connected).toBe(true);
  });

  it('refuses a user a device client id', async () => {
    expect(await refusalCode(connectRaw(url, { username: 'alice', password: await hsToken({ amora_devices: ['player-001'] }), clientId: 'amora-player-001' }))).toBe(2);
  });
});

describe('embedded broker: JWT users with a JWKS file (ES256)', () => {
  let broker: EmbeddedBroker;
  let dir: string;
  let sign: (claims: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-jwks-'));
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('bob').setAudience(AUDIENCE).setExpirationTime('1h').sign(privateKey);
    broker = await startEmbeddedBroker({ port: 0, auth: { jwt: { jwks: join(dir, 'jwks.json'), audience: AUDIENCE, devicesClaim: 'devices' } } });
  });

  afterAll(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the token against the key set and uses the configured claim', async () => {
    const bob = await connectRaw(`mqtt://127.0.0.1:${broker.port}`, { username: 'bob', password: await sign({ devices: ['player-003'] }) });
    expect(await bob.subscribe('amora/devices/player-003/telemetry/#')).toBe(1);
    expect(await bob.subscribe('amora/devices/player-001/telemetry/#')).toBe(128);
    await bob.end();
  });
});

// The Azure AD B2C shape: RS256 tokens, keys published at a URL (here a local HTTP server).
describe('embedded broker: JWT users with a JWKS URL (RS256)', () => {
  let broker: EmbeddedBroker;
  let keys: Server;
  let sign: (claims: Record<string, unknown>, kid?: string) => Promise<string>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'b2c-1', alg: 'RS256', use: 'sig' };
    keys = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/discovery/v2.0/keys`;
    sign = (claims, kid = 'b2c-1') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setSubject('carol').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').sign(privateKey);
    broker = await startEmbeddedBroker({ port: 0, auth: { jwt: { jwks: url, issuer: ISSUER, audience: AUDIENCE } } });
  });

  afterAll(async () => {
    await broker?.close();
    await new Promise((resolve) => keys?.close(resolve));
  });

  it('verifies the token with the key fetched from the URL, and refuses one signed with an unknown key', async () => {
    const carol = await connectRaw(`mqtt://127.0.0.1:${broker.port}`, { username: 'carol', password: await sign({ amora_devices: ['player-006'] }) });
    expect(await carol.subscribe('amora/devices/player-006/state')).toBe(1);
    expect(await carol.subscribe('amora/devices/player-001/state')).toBe(128);
    await carol.end();
    expect(await refusalCode(connectRaw(`mqtt://127.0.0.1:${broker.port}`, { username: 'carol', password: await sign({ amora_devices: ['player-006'] }, 'other') }))).toBe(4);
  });
});

describe('embedded broker: device certificates', () => {
  let pki: DevicePki;
  let stranger: DevicePki;
  let broker: EmbeddedBroker;
  let url: string;

  beforeAll(async () => {
    pki = createDevicePki();
    stranger = createDevicePki('Another CA');
    broker = await startEmbeddedBroker({
      port: 0,
      auth: { jwt: { secret: SECRET, issuer: ISSUER, audience: AUDIENCE } },
      tls: { port: 0, cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caPem, requireClientCert: true },
    });
    url = `mqtts://127.0.0.1:${broker.tlsPort}`;
  });

  afterAll(async () => {
    await broker?.close();
  });

  const device = (id: string, ca: DevicePki, clientId = `amora-${id}`): Promise<RawClient> => {
    const { certPem, keyPem } = ca.client(id);
    return connectRaw(url, { ca: pki.caPem, cert: certPem, key: keyPem, clientId });
  };

  it('refuses a certificate from another CA and a client without one', async () => {
    expect(await refusalCode(device('player-001', stranger))).toBeDefined();
    expect(await refusalCode(connectRaw(url, { ca: pki.caPem }))).toBeDefined();
    // Without a certificate or a token, the plain listener lets no one in either.
    expect(await refusalCode(connectRaw(`mqtt://127.0.0.1:${broker.port}`))).toBe(5);
  });

  it("keeps a device to its own topics: another's are denied, its own work", async () => {
    const one = await device('player-001', pki);
    const two = await device('player-002', pki);
    expect(await one.subscribe('amora/devices/player-002/commands')).toBe(128);
    expect(await one.subscribe('amora/devices/player-001/commands')).toBe(1);
    expect(await one.subscribe('amora/devices/player-001/state')).toBe(128);
    const denied = broker.denials.publishes;
    await two.publish('amora/devices/player-001/commands', 'forged');
    await two.publish('amora/devices/player-001/state', 'forged', true);
    expect(broker.denials.publishes).toBe(denied + 2);
    await one.publish('amora/devices/player-001/telemetry/playerStatus', '{}');
    expect(broker.denials.publishes).toBe(denied + 2);
    expect(one.received).toEqual([]);
    await Promise.all([one.end(), two.end()]);
  });

  it('takes the device id from the DNS subject alternative name of a certificate without a CN', async () => {
    const { certPem, keyPem } = pki.client(undefined, 'player-005');
    const five = await connectRaw(url, { ca: pki.caPem, cert: certPem, key: keyPem, clientId: 'amora-player-005' });
    expect(await five.subscribe('amora/devices/player-005/commands')).toBe(1);
    expect(await five.subscribe('amora/devices/player-001/commands')).toBe(128);
    await five.end();
  });

  it("shows a user's wildcard subscription only the devices its token names", async () => {
    const one = await device('player-001', pki);
    const two = await device('player-002', pki);
    await two.publish('amora/devices/player-002/connection', '{"status":"online"}', true);
    await one.publish('amora/devices/player-001/connection', '{"status":"online"}', true);
    const alice = await connectRaw(`mqtt://127.0.0.1:${broker.port}`, { username: 'alice', password: await hsToken({ amora_devices: ['player-001'] }) });
    expect(await alice.subscribe('amora/devices/+/connection')).toBe(1);
    await alice.next((topic) => topic === 'amora/devices/player-001/connection');
    await two.publish('amora/devices/player-002/connection', '{"status":"offline"}', true);
    await one.publish('amora/devices/player-001/connection', '{"status":"offline"}', true);
    await alice.next((_topic, text) => text.includes('offline'));
    expect(alice.received.map((m) => m.topic)).toEqual(['amora/devices/player-001/connection', 'amora/devices/player-001/connection']);
    await Promise.all([one.end(), two.end(), alice.end()]);
  });

  it("refuses another device's client id; the device itself may reconnect with its own", async () => {
    expect(await refusalCode(device('player-002', pki, 'amora-player-001'))).toBe(2);
    const held = await device('player-004', pki, 'player-004');
    expect(await refusalCode(device('player-004', pki, 'player-004'))).toBeUndefined();
    await held.end();
  });
});

describeWithBinaries(['mosquitto_passwd'], 'embedded broker: password and ACL files', ({ mosquitto_passwd }) => {
  let dir: string;
  let passwordFile: string;
  let broker: EmbeddedBroker;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-passwd-'));
    passwordFile = join(dir, 'passwords');
    execFileSync(mosquitto_passwd, ['-c', '-b', passwordFile, 'player-001', 'one']);
    execFileSync(mosquitto_passwd, ['-b', passwordFile, 'player-002', 'two']);
    await writeFile(join(dir, 'acl'), 'pattern read amora/devices/%u/commands\npattern write amora/devices/%u/state\n');
    broker = await startEmbeddedBroker({ port: 0, auth: { passwordFile, aclFile: join(dir, 'acl') } });
    url = `mqtt://127.0.0.1:${broker.port}`;
  });

  afterAll(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a denied subscription with 128 and counts dropped publishes', async () => {
    const one = await connectRaw(url, { username: 'player-001', password: 'one' });
    expect(await one.subscribe('amora/devices/player-002/commands')).toBe(128);
    const before = { ...broker.denials };
    await one.publish('amora/devices/player-002/state', 'forged', true);
    expect(broker.denials).toEqual({ ...before, publishes: before.publishes + 1 });
    await one.end();
  });

  it('refuses a takeover of a connected client id by another user, also after the owner took it over itself', async () => {
    const one = await connectRaw(url, { username: 'player-001', password: 'one', clientId: 'amora-player-001' });
    expect(await refusalCode(connectRaw(url, { username: 'player-002', password: 'two', clientId: 'amora-player-001' }))).toBe(2);
    expect(one.client.connected).toBe(true);
    const again = await connectRaw(url, { username: 'player-001', password: 'one', clientId: 'amora-player-001' });
    await one.closed();
    expect(await refusalCode(connectRaw(url, { username: 'player-002', password: 'two', clientId: 'amora-player-001' }))).toBe(2);
    await again.end();
    // Once its owner has left (clean session), the id is free again.
    await expect.poll(async () => refusalCode(connectRaw(url, { username: 'player-002', password: 'two', clientId: 'amora-player-001' }))).toBeUndefined();
  });

  it('reloads the files: a removed user is refused, and a broken file keeps the old rules', async () => {
    execFileSync(mosquitto_passwd, ['-D', passwordFile, 'player-002']);
    await broker.reload();
    expect(await refusalCode(connectRaw(url, { username: 'player-002', password: 'two' }))).toBe(4);
    await writeFile(join(dir, 'acl'), 'allow everything\n');
    await expect(broker.reload()).rejects.toThrow(/line 1: unknown keyword "allow"/);
    expect(await refusalCode(connectRaw(url, { username: 'player-001', password: 'one' }))).toBeUndefined();
  });
});
