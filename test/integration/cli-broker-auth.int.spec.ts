import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
});
