import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createDevicePki } from '../support/device-pki.js';
import { connectRaw, refusalCode } from '../support/raw-mqtt-client.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli, type CliProcess } from './cli-process.js';

const LISTENING = /^broker listening on mqtt:\/\/[^:]+:(\d+)$/;

describeWithBinaries(['mosquitto_passwd'], 'amora broker: authentication options', ({ mosquitto_passwd }) => {
  let dir: string;
  const running: CliProcess[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-cli-broker-'));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(running.map((cli) => cli.kill()));
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to listen on all addresses without authentication, unless --insecure', async () => {
    const refused = await runCli(['broker', '--host', '0.0.0.0', '--port', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to listen on 0.0.0.0 without authentication');
    const insecure = spawnCli(['broker', '--host', '0.0.0.0', '--port', '0', '--insecure']);
    running.push(insecure);
    await insecure.stdoutLine((line) => LISTENING.test(line));
    expect((await insecure.stop()).code).toBe(0);
  });

  it('checks the password file, and reads it again on SIGHUP', async () => {
    const passwords = join(dir, 'passwords');
    execFileSync(mosquitto_passwd, ['-c', '-b', passwords, 'app', 'secret-1']);
    await writeFile(join(dir, 'acl'), 'user app\ntopic readwrite amora/#\n');
    const broker = spawnCli(['broker', '--host', '0.0.0.0', '--port', '0', '--password-file', passwords, '--acl-file', join(dir, 'acl')]);
    running.push(broker);
    const port = Number(LISTENING.exec(await broker.stdoutLine((line) => LISTENING.test(line)))![1]);
    const url = `mqtt://127.0.0.1:${port}`;
    expect(await refusalCode(connectRaw(url))).toBe(5);
    expect(await refusalCode(connectRaw(url, { username: 'app', password: 'secret-1' }))).toBeUndefined();
    execFileSync(mosquitto_passwd, ['-b', passwords, 'app', 'secret-2']);
    broker.child.kill('SIGHUP');
    await broker.stderrLine((line) => line.includes('reloaded the password and ACL files'));
    expect(await refusalCode(connectRaw(url, { username: 'app', password: 'secret-1' }))).toBe(4);
    expect(await refusalCode(connectRaw(url, { username: 'app', password: 'secret-2' }))).toBeUndefined();
    expect((await broker.stop()).code).toBe(0);
  });

  it('takes JWT users (secret from the environment) and device certificates on its TLS listener', async () => {
    const pki = createDevicePki();
    await writeFile(join(dir, 'server.pem'), pki.serverCertPem);
    await writeFile(join(dir, 'server.key'), pki.serverKeyPem);
    await writeFile(join(dir, 'ca.pem'), pki.caPem);
    const secret = 'cli-broker-jwt-secret-of-32-characters!';
    const broker = spawnCli(
      ['broker', '--port', '0', '--tls-port', '0', '--tls-cert', join(dir, 'server.pem'), '--tls-key', join(dir, 'server.key'), '--tls-ca', join(dir, 'ca.pem'), '--require-client-cert', '--jwt-audience', 'amora'],
      { AMORA_BROKER_JWT_SECRET: secret },
    );
    running.push(broker);
    const port = Number(LISTENING.exec(await broker.stdoutLine((line) => LISTENING.test(line)))![1]);
    const tlsPort = Number(/^tls on mqtts:\/\/[^:]+:(\d+)$/.exec(await broker.stdoutLine((line) => line.startsWith('tls on ')))![1]);
    const token = await new SignJWT({ amora_devices: ['player-001'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience('amora').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    const alice = await connectRaw(`mqtt://127.0.0.1:${port}`, { username: 'alice', password: token });
    expect(await alice.subscribe('amora/devices/player-001/state')).toBe(1);
    expect(await alice.subscribe('amora/devices/player-002/state')).toBe(128);
    await alice.end();
    const { certPem, keyPem } = pki.client('player-001');
    const device = await connectRaw(`mqtts://127.0.0.1:${tlsPort}`, { ca: pki.caPem, cert: certPem, key: keyPem, clientId: 'amora-player-001' });
    expect(await device.subscribe('amora/devices/player-001/commands')).toBe(1);
    await device.end();
    expect(await refusalCode(connectRaw(`mqtts://127.0.0.1:${tlsPort}`, { ca: pki.caPem }))).toBeDefined();
    expect((await broker.stop()).code).toBe(0);
  });

  it('names the missing half of the TLS options, and a password file it cannot read', async () => {
    const result = await runCli(['broker', '--port', '0', '--tls-cert', join(dir, 'server.pem')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tls-cert and --tls-key go together');
    const missing = await runCli(['broker', '--port', '0', '--password-file', join(dir, 'no-such-file')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${join(dir, 'no-such-file')}`);
  });
});
