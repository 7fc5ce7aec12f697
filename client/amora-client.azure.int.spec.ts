import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureCliBuilt } from '../test/integration/cli-build.js';
import { spawnCli, type CliProcess } from '../test/integration/cli-process.js';
import { exerciseGuideClient } from '../test/support/amora-client-scenario.js';
import { AmoraClient } from './index.js';

const DEVICE = 'amora-player-001';

/** The variables of the `export NAME=value ...` lines an emulator printed (quotes removed). */
function exported(stdout: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of stdout.split('\n').filter((l) => l.trim().startsWith('export '))) {
    for (const [, name, value] of line.matchAll(/(\w+)=('[^']*'|\S+)/g)) variables[name!] = value!.replace(/^'(.*)'$/, '$1');
  }
  return variables;
}

/**
 * The AmoraSDK Azure guide's client, as a user runs it: `amora emulate azure` and `amora agent`
 * (virtual player, the real azure-iot-device SDK over TLS) as processes, and the app on the
 * package's AmoraClient made with the guide's own constructor from the printed IoT Hub and Event
 * Hub connection strings
 * (the emulator's CA trusted through AMORA_AZURE_CA, as the emulator prints it).
 */
describe('AmoraClient on Azure IoT Hub (amora emulate azure + amora agent)', () => {
  let dir: string;
  let printed: Record<string, string>;
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-client-azure-'));
    const hub = spawnCli(['emulate', 'azure', '--port', '0', '--https-port', '0', '--dir', join(dir, 'hub'), '--device', DEVICE]);
    processes.push(hub);
    await hub.stdoutLine((line) => line === 'Ctrl-C stops the emulator.');
    printed = exported(hub.stdout);

    const config = join(dir, 'agent.yaml');
    await writeFile(
      config,
      `device: { id: ${DEVICE} }
player: { kind: virtual }
transports:
  - kind: azure-iot-hub
    connectionString: \${AMORA_DEVICE_CONNECTION_STRING}
    ca: \${AMORA_AZURE_CA}
`,
    );
    const agent = spawnCli(['agent', '--config', config], {
      AMORA_DEVICE_CONNECTION_STRING: printed['AMORA_DEVICE_CONNECTION_STRING'],
      AMORA_AZURE_CA: printed['AMORA_AZURE_CA'],
    });
    processes.push(agent);
    await agent.stderrLine((line) => line.includes('"agent running"'));
    vi.stubEnv('AMORA_AZURE_CA', printed['AMORA_AZURE_CA']!);
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    for (const process of processes.toReversed()) await process.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the guide app unchanged: direct methods answer {success, message}, callbacks get PlayerStatus and connection booleans', async () => {
    expect.hasAssertions();
    const iotHubConnectionString = printed['AMORA_SERVICE_CONNECTION_STRING']!;
    const eventHubConnectionString = printed['AMORA_EVENTHUB_CONNECTION_STRING']!;
    // The guide's second string: the status callbacks are fed from the emulator's Event Hub endpoint.
    expect(eventHubConnectionString).toMatch(/^Endpoint=sb:\/\//);
    await exerciseGuideClient(new AmoraClient(iotHubConnectionString, eventHubConnectionString, DEVICE));
  });
});
