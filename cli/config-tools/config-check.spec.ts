import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinRegistry } from '../builtins.js';
import { checkConfigFile } from './config-check.js';
import { STARTER_KINDS, starterConfig } from './starters.js';

describe('checkConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-config-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function check(name: string, text: string, env: NodeJS.ProcessEnv = {}) {
    const file = join(dir, name);
    await writeFile(file, text);
    return checkConfigFile(file, createBuiltinRegistry(), env);
  }

  it('reports every problem at once, each at its key path: core keys, kind options, missing files, plugins, unknown kinds', async () => {
    const result = await check(
      'bad.yaml',
      `device: { id: "bad id", extra: 1 }
player: { kind: mpd, port: nope }
transports:
  - kind: mqtt
    url: 42
    tls: { ca: certs/missing-ca.pem }
  - kind: pigeon
  - kind: virtual
plugins: [./no-such-plugin.js]
log: { level: loud }
`,
    );
    expect(result.problems.map((p) => p.path)).toEqual([
      'device.id',
      'device.extra',
      'log.level',
      'plugins[0]',
      'player.port',
      'transports[0].url',
      'transports[0].tls.ca',
      'transports[1].kind',
      'transports[2].kind',
    ]);
    const byPath = Object.fromEntries(result.problems.map((p) => [p.path, p.message]));
    expect(byPath['transports[0].tls.ca']).toBe(`file not found: ${join(dir, 'certs/missing-ca.pem')}`);
    expect(byPath['transports[1].kind']).toContain('no plugin provides this kind');
    expect(byPath['transports[2].kind']).toBe('"virtual" is a player kind, configured as a transport');
    expect(byPath['plugins[0]']).toContain('cannot import module');
  });

  it('names an unset variable once, not again as a bad value', async () => {
    const result = await check('unset.yaml', `device: { id: d1 }\ntransports:\n  - kind: azure-iot-hub\n    connectionString: \${NOT_SET_FOR_THIS_TEST}\n`);
    expect(result.problems).toEqual([{ path: 'transports[0].connectionString', message: expect.stringContaining('NOT_SET_FOR_THIS_TEST is not set') }]);
  });

  it('says what is wrong with a file that is not YAML, or not there', async () => {
    expect((await check('broken.yaml', 'device: [\n')).problems).toEqual([{ path: '(file)', message: expect.stringMatching(/^not valid YAML or JSON at line \d+/) }]);
    expect((await checkConfigFile(join(dir, 'absent.yaml'), createBuiltinRegistry(), {})).problems).toEqual([{ path: '(file)', message: 'file not found' }]);
  });

  it('passes every starter of `amora config init`, given the variables each names', async () => {
    await writeFile(join(dir, 'device.pem.crt'), 'x');
    await writeFile(join(dir, 'private.pem.key'), 'x');
    const env = {
      AMORA_DEVICE_CONNECTION_STRING: 'HostName=hub.azure-devices.net;DeviceId=player-001;SharedAccessKey=c2VjcmV0',
      IOT_ENDPOINT: 'abc-ats.iot.eu-west-1.amazonaws.com',
      IOT_CERT_PATH: join(dir, 'device.pem.crt'),
      IOT_KEY_PATH: join(dir, 'private.pem.key'),
    };
    for (const kind of STARTER_KINDS) {
      const result = await check(`starter-${kind}.yaml`, starterConfig(kind), env);
      expect({ kind, problems: result.problems }).toEqual({ kind, problems: [] });
    }
    // Without the secret, the Azure starter says which variable to set.
    expect((await check('starter-azure-noenv.yaml', starterConfig('azure'), {})).problems[0]?.message).toContain('AMORA_DEVICE_CONNECTION_STRING is not set');
  });

  it('builds the agent as a dry run: a profile no plugin provides is reported', async () => {
    const result = await check('profile.yaml', `device: { id: d2, profile: headset }\ntransports:\n  - kind: mqtt\n    url: mqtt://localhost:1883\n`);
    expect(result.problems).toEqual([{ path: '(agent)', message: expect.stringContaining('headset') }]);
  });
});
