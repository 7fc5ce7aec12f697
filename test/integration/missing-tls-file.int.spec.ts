import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli } from './cli-process.js';

/**
 * Defect: a TLS file named in the config but missing on disk made the transport log "retrying"
 * forever. `amora agent` now checks every file a path option names when it loads the config and
 * exits 2 naming the key and the file (a vanished file after start is retried: mqtt-security).
 */
describe('amora agent with a missing TLS file in its config', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-missing-file-'));
    await writeFile(join(dir, 'present.pem'), '-- not read: the check only looks for the file --\n');
    await ensureCliBuilt();
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const connectionString = `HostName=localhost:1;DeviceId=dev;SharedAccessKey=${Buffer.from('k'.repeat(32)).toString('base64')}`;
  it.each([
    ['mqtt tls.ca (relative to the config file)', `  - kind: mqtt\n    url: mqtts://127.0.0.1:1\n    tls: { ca: certs/ca.pem }\n`, 'transports[0].tls.ca', 'certs/ca.pem'],
    ['mqtt tls.key', `  - kind: mqtt\n    url: mqtts://127.0.0.1:1\n    tls: { cert: present.pem, key: gone.key }\n`, 'transports[0].tls.key', 'gone.key'],
    ['azure ca', `  - kind: azure-iot-hub\n    connectionString: "${connectionString}"\n    ca: hub-ca.pem\n`, 'transports[0].ca', 'hub-ca.pem'],
    ['aws certPath', `  - kind: aws-iot\n    endpoint: localhost\n    certPath: device.pem.crt\n    keyPath: present.pem\n`, 'transports[0].certPath', 'device.pem.crt'],
  ])('exits 2 naming the key and the file for a missing %s', async (_what, transport, keyPath, file) => {
    const config = join(dir, `agent-${keyPath.replace(/\W/g, '_')}.yaml`);
    await writeFile(config, `device: { id: missing-file }\nplayer: { kind: virtual }\ntransports:\n${transport}`);
    const result = await runCli(['agent', '--config', config]);
    expect(result.code).toBe(2);
    const message = result.stderr.split('\n').find((line) => line.startsWith('amora: '));
    expect(message).toContain(config);
    expect(message).toContain(keyPath);
    expect(message).toContain(`file not found: ${join(dir, file)}`);
  }, 30_000);

  it('does not check the MPD socket, which MPD may create after the agent starts', async () => {
    const config = join(dir, 'agent-mpd-socket.yaml');
    await writeFile(config, `device: { id: mpd-later }\nplayer: { kind: mpd, socketPath: run/mpd.socket }\ntransports:\n  - kind: mqtt\n    url: mqtt://127.0.0.1:1\n`);
    const agent = spawnCli(['agent', '--config', config]);
    try {
      await agent.stderrLine((line) => line.includes('agent running'));
    } finally {
      expect((await agent.stop('SIGTERM')).code).toBe(0);
    }
  }, 30_000);
});
