import { IoTClient, ListThingsCommand } from '@aws-sdk/client-iot';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { Agent } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import common from 'azure-iot-common';
import deviceSdk from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceSdk } from './azure-support.js';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli, type CliProcess } from './cli-process.js';

const READY = 'Ctrl-C stops the emulator.';

/** The variables of the `export NAME=value ...` lines an emulator printed (quotes removed). */
function exported(stdout: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of stdout.split('\n').filter((l) => l.trim().startsWith('export '))) {
    for (const [, name, value] of line.matchAll(/(\w+)=('[^']*'|\S+)/g)) variables[name!] = value!.replace(/^'(.*)'$/, '$1');
  }
  return variables;
}

/** `amora emulate azure|aws` as a user runs them, with the real vendor SDKs on the printed settings. */
describe('amora emulate', () => {
  let dir: string;
  const started: CliProcess[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-cli-emulate-'));
  });

  afterAll(async () => {
    for (const cli of started) await cli.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function emulator(args: readonly string[]): Promise<CliProcess> {
    const cli = spawnCli(['emulate', ...args]);
    started.push(cli);
    await cli.stdoutLine((line) => line === READY);
    return cli;
  }

  it('azure: a device SDK client and azure-iothub work with the printed connection strings and CA; SIGINT exits 0 with the device still connected', async () => {
    const hub = await emulator(['azure', '--port', '0', '--https-port', '0', '--amqp-port', '0', '--amqps-port', '0', '--dir', join(dir, 'azure'), '--device', 'player-001', '--telemetry']);
    const printed = exported(hub.stdout);
    const deviceString = printed['AMORA_DEVICE_CONNECTION_STRING']!;
    const serviceString = printed['AMORA_SERVICE_CONNECTION_STRING']!;
    expect(deviceString).toMatch(/^HostName=localhost:\d+;DeviceId=player-001;SharedAccessKey=.+$/);
    expect(serviceString).toMatch(/^HostName=localhost:\d+;SharedAccessKeyName=iothubowner;SharedAccessKey=.+$/);
    expect(printed['AMORA_AZURE_CA']).toBe(join(dir, 'azure', 'ca.pem'));
    const ca = await readFile(printed['AMORA_AZURE_CA']!, 'utf8');

    const device = deviceSdk.Client.fromConnectionString(deviceString, deviceMqtt.Mqtt);
    device.setRetryPolicy(new common.NoRetry());
    try {
      await device.setOptions({ ca });
      await device.open();
      device.onDeviceMethod('ping', (request, response) => void response.send(200, { pong: request.payload }));

      const { registry, client } = serviceSdk({ serviceConnectionString: serviceString, caPem: ca });
      const { responseBody } = await registry.get('player-001');
      expect(responseBody).toMatchObject({ deviceId: 'player-001', connectionState: 'Connected' });
      const { result } = await client.invokeDeviceMethod('player-001', { methodName: 'ping', payload: { n: 1 }, responseTimeoutInSeconds: 5 });
      expect(result).toEqual({ status: 200, payload: { pong: { n: 1 } } });

      const event = new deviceSdk.Message(JSON.stringify({ volume: 12 }));
      event.properties.add('messageType', 'playerStatus');
      await device.sendEvent(event);
      expect(await hub.stdoutLine((line) => line.startsWith('[telemetry]'))).toMatch(/ player-001 playerStatus \{"volume":12\}$/);

      expect(await hub.stop('SIGINT')).toEqual({ code: 0, signal: null });
    } finally {
      await device.close().catch(() => undefined);
    }
    // Each key is printed once, for the user to copy, and never on the log stream.
    for (const key of [deviceString, serviceString].map((text) => /SharedAccessKey=([^;]+)/.exec(text)![1]!)) {
      expect(hub.stdout.split(key)).toHaveLength(2);
      expect(hub.stderr).not.toContain(key);
    }
  });

  it('aws: an aws-iot-device-sdk-v2 mTLS connection works with the printed endpoint, port and files; SIGINT exits 0 with it connected', async () => {
    const certDir = join(dir, 'aws');
    const core = await emulator(['aws', '--port', '0', '--https-port', '0', '--cert-dir', certDir, '--thing', 'player-001']);
    const printed = exported(core.stdout);
    expect(printed).toMatchObject({
      IOT_ENDPOINT: 'localhost',
      IOT_PORT: expect.stringMatching(/^\d+$/),
      IOT_THING_NAME: 'player-001',
      IOT_ROOT_CA_PATH: join(certDir, 'ca.pem'),
      IOT_CERT_PATH: join(certDir, 'things', 'player-001.cert.pem'),
      IOT_KEY_PATH: join(certDir, 'things', 'player-001.private.key'),
      IOT_HTTPS_ENDPOINT: expect.stringMatching(/^https:\/\/localhost:\d+$/),
    });
    expect((await stat(printed['IOT_KEY_PATH']!)).mode & 0o077).toBe(0);
    const key = await readFile(printed['IOT_KEY_PATH']!, 'utf8');

    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(printed['IOT_CERT_PATH'], printed['IOT_KEY_PATH'])
      .with_certificate_authority_from_path(undefined, printed['IOT_ROOT_CA_PATH'])
      .with_endpoint(printed['IOT_ENDPOINT']!)
      .with_port(Number(printed['IOT_PORT']))
      .with_client_id('player-001')
      .with_clean_session(true)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    try {
      await connection.connect();
      // The Device Shadow service answers on the same connection.
      const accepted = new Promise<string>((resolve) => connection.on('message', (topic, payload) => topic.endsWith('/update/accepted') && resolve(new TextDecoder().decode(payload))));
      await connection.subscribe('$aws/things/player-001/shadow/update/accepted', mqtt.QoS.AtLeastOnce);
      await connection.publish('$aws/things/player-001/shadow/update', JSON.stringify({ state: { reported: { audio: { volume: 12 } } } }), mqtt.QoS.AtLeastOnce);
      expect(JSON.parse(await accepted)).toMatchObject({ state: { reported: { audio: { volume: 12 } } } });

      // The control plane answers @aws-sdk/client-iot signed with the printed access key.
      const control = new IoTClient({
        endpoint: printed['IOT_HTTPS_ENDPOINT'],
        region: printed['AWS_REGION'],
        credentials: { accessKeyId: printed['AWS_ACCESS_KEY_ID']!, secretAccessKey: printed['AWS_SECRET_ACCESS_KEY']! },
        requestHandler: { httpsAgent: new Agent({ ca: await readFile(printed['IOT_ROOT_CA_PATH']!, 'utf8') }) },
      });
      expect((await control.send(new ListThingsCommand({}))).things?.map((thing) => thing.thingName)).toEqual(['player-001']);
      control.destroy();

      expect(await core.stop('SIGINT')).toEqual({ code: 0, signal: null });
    } finally {
      await connection.disconnect().catch(() => undefined);
    }
    expect(`${core.stdout}\n${core.stderr}`).not.toContain(key.split('\n')[1]);
  });

  it.each([
    [['aws', '--port', 'abc'], "option '-p, --port <n>' argument 'abc' is invalid"],
    [['azure', '--https-port', '65536'], "option '--https-port <n>' argument '65536' is invalid"],
    [['aws', '--thing', 'living/room'], "option '-t, --thing <name>' argument 'living/room' is invalid"],
    [['azure', '--device', 'living room'], "option '-d, --device <id>' argument 'living room' is invalid"],
    [['azure', '--ephemeral', '--cert-dir', 'certs'], "option '--ephemeral' cannot be used with option '--cert-dir <path>'"],
  ])('%j exits 2 naming the option', async (args, message) => {
    const result = await runCli(['emulate', ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  /** Options that keep a failing start from leaving files behind in the checkout. */
  function scratch(cloud: string, name: string): string[] {
    return cloud === 'aws' ? ['--cert-dir', join(dir, name)] : ['--ephemeral'];
  }

  it.each(['azure', 'aws'])('%s: an address this machine does not have exits 2 naming --bind', async (cloud) => {
    // 192.0.2.1 is TEST-NET-1: never a local address, and no name lookup.
    const result = await runCli(['emulate', cloud, ...scratch(cloud, 'bind'), '--bind', '192.0.2.1', '--port', '0', '--https-port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('amora: cannot listen on 192.0.2.1 (EADDRNOTAVAIL): pass another --bind');
  });

  it.each(['azure', 'aws'])('%s: an HTTPS port in use exits 2 naming --https-port', async (cloud) => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const result = await runCli(['emulate', cloud, ...scratch(cloud, 'taken'), '--port', '0', '--https-port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`amora: port ${port} on 127.0.0.1 is already in use: pass another --https-port`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
