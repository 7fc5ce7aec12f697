import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventHubConsumerClient } from '@azure/event-hubs';
import common from 'azure-iot-common';
import deviceSdk from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemDepsRequired } from '../support/system-deps.js';
import { ensureCliBuilt } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

const READY = 'Ctrl-C stops the emulator.';

function exported(stdout: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of stdout.split('\n').filter((l) => l.trim().startsWith('export '))) {
    for (const [, name, value] of line.matchAll(/(\w+)=('[^']*'|\S+)/g)) variables[name!] = value!.replace(/^'(.*)'$/, '$1');
  }
  return variables;
}

/** Why port 443 cannot be bound here (not root, no CAP_NET_BIND_SERVICE, or taken), or undefined when it can. */
function cannotBind443(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(`cannot listen on 127.0.0.1:443 (${error.code}): needs root or CAP_NET_BIND_SERVICE and a free port`));
    server.listen(443, '127.0.0.1', () => server.close(() => resolve(undefined)));
  });
}

/** `amora emulate azure` as a user runs it, read with the stock clients on exactly what it prints. */
describe('amora emulate azure: Event Hub-compatible endpoint and a port-less service connection string', () => {
  let dir: string;
  const started: CliProcess[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-cli-eventhub-'));
  });
  afterAll(async () => {
    for (const cli of started) await cli.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function emulator(args: readonly string[]): Promise<CliProcess> {
    const cli = spawnCli(['emulate', 'azure', '--port', '0', '--amqp-port', '0', '--amqps-port', '0', ...args]);
    started.push(cli);
    await cli.stdoutLine((line) => line === READY);
    return cli;
  }

  it("the AmoraSDK guide's client receives a device's playerStatus from the printed AMORA_EVENTHUB_CONNECTION_STRING", async () => {
    const hub = await emulator(['--https-port', '0', '--dir', join(dir, 'seed'), '--device', 'amora-player-001']);
    const printed = exported(hub.stdout);
    expect(printed['AMORA_EVENTHUB_CONNECTION_STRING']).toMatch(/^Endpoint=sb:\/\/localhost:\d+\/;SharedAccessKeyName=service;SharedAccessKey=.+;EntityPath=localhost;UseDevelopmentEmulator=true$/);

    // The guide's AmoraClient.connect(), as written there: '$Default', the connection string as is.
    const statuses: unknown[] = [];
    const eventHubClient = new EventHubConsumerClient('$Default', printed['AMORA_EVENTHUB_CONNECTION_STRING']!);
    const deviceId = 'amora-player-001';
    const subscription = eventHubClient.subscribe({
      processEvents: async (events) => {
        for (const event of events) {
          if (event.body && event.body.messageType === 'playerStatus' && event.body.deviceId === deviceId) statuses.push(event.body.status);
        }
      },
      processError: async () => undefined,
    });

    // The guide's Python device sends this shape; here the stock Node device SDK does the same.
    const device = deviceSdk.Client.fromConnectionString(printed['AMORA_DEVICE_CONNECTION_STRING']!, deviceMqtt.Mqtt);
    device.setRetryPolicy(new common.NoRetry());
    await device.setOptions({ ca: await readFile(printed['AMORA_AZURE_CA']!, 'utf8') });
    await device.open();
    try {
      // Sent until the client's receivers (which start at "latest") see one: no fixed wait.
      for (let attempt = 0; statuses.length === 0; attempt++) {
        const message = new deviceSdk.Message(JSON.stringify({ messageType: 'playerStatus', deviceId, timestamp: new Date().toISOString(), status: { state: 'playing', volume: attempt } }));
        message.contentType = 'application/json';
        message.contentEncoding = 'utf-8';
        await device.sendEvent(message);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await device.close().catch(() => undefined);
      await subscription.close();
      await eventHubClient.close();
    }
    expect(statuses[0]).toMatchObject({ state: 'playing' });
  });

  it('with --https-port 443 prints HostName without a port, which stock azure-iothub Registry/Client.fromConnectionString accept', async (context) => {
    const reason = await cannotBind443();
    if (reason) {
      if (systemDepsRequired()) throw new Error(reason);
      context.skip(reason);
    }
    const hub = await emulator(['--https-port', '443', '--dir', join(dir, 'port-443'), '--device', 'player-443']);
    const printed = exported(hub.stdout);
    expect(printed['AMORA_SERVICE_CONNECTION_STRING']).toMatch(/^HostName=localhost;SharedAccessKeyName=iothubowner;/);
    // A separate node, as a user's backend: stock SDK, no seams, the CA through NODE_EXTRA_CA_CERTS.
    const script = `
      const { Client, Registry } = require('azure-iothub');
      const cs = process.env.AMORA_SERVICE_CONNECTION_STRING;
      (async () => {
        const { responseBody } = await Registry.fromConnectionString(cs).get('player-443');
        // The device is offline: the hub's 404 proves the call reached it.
        const method = await Client.fromConnectionString(cs).invokeDeviceMethod('player-443', { methodName: 'ping', payload: {}, responseTimeoutInSeconds: 5 })
          .then(() => 'answered', (error) => (error.response ? 'HTTP ' + error.response.statusCode : error.message));
        console.log(JSON.stringify({ deviceId: responseBody.deviceId, method }));
      })().catch((error) => { console.error(error.message); process.exit(1); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      cwd: process.cwd(),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: printed['AMORA_AZURE_CA']!, AMORA_SERVICE_CONNECTION_STRING: printed['AMORA_SERVICE_CONNECTION_STRING']! },
    });
    expect(JSON.parse(stdout)).toEqual({ deviceId: 'player-443', method: 'HTTP 404' });
  });
});
