import { ListThingPrincipalsCommand, ListThingsCommand, type IoTClient } from '@aws-sdk/client-iot';
import { GetThingShadowCommand, UpdateThingShadowCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import { openAzureClients } from '../../cli/migrate/azure-clients.js';
import { readAzureFleet } from '../../cli/migrate/azure-source.js';
import { CloudCalls } from '../../cli/migrate/cloud-calls.js';
import type { DeviceMoveStatus } from '../../cli/migrate/move-tracker.js';
import { buildAgent, buildController, parseConfig, type Agent, type ControllerTransport, type JsonObject } from '../../core/node.js';
import { blobText, controlPlaneClient, dataPlaneClient } from './aws-support.js';
import { serviceSdk } from './azure-support.js';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli } from './cli-process.js';

/**
 * The proof: a fleet moves from the IoT Hub emulator to the AWS IoT emulator and back
 * with the built `amora migrate` CLI. Agents start on Azure; plan and apply run (apply killed
 * with SIGKILL half-way and run again); each agent's config goes dual-home with the transport
 * entry apply wrote, then to the target alone; `status` reports every device moved. Desired
 * state is compared on both clouds, every command sent during the dual-home step is answered.
 */

const FLEET = 50;
const DEVICES = Array.from({ length: FLEET }, (_, index) => `mig-${String(index).padStart(3, '0')}`);
const registry = createBuiltinRegistry();

interface AudioView {
  readonly audio?: { readonly volume?: number };
}

const azureEntry = (azure: AzureIotHubEmulator, id: string): JsonObject => ({
  kind: 'azure-iot-hub',
  connectionString: azure.deviceConnectionString(id),
  ca: azure.caPem,
  retry: { initialMs: 20, maxMs: 200 },
});

/** The transport entry `apply` wrote for a device, with the secrets of its secrets.env. */
async function writtenEntry(out: string, id: string): Promise<{ entry: JsonObject; env: Record<string, string> }> {
  const [entry] = parseYaml(await readFile(join(out, id, 'transport.yaml'), 'utf8')) as JsonObject[];
  const secrets = await readFile(join(out, id, 'secrets.env'), 'utf8').catch(() => '');
  const env = Object.fromEntries(
    secrets
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { entry: entry!, env };
}

async function controllerFor(transport: JsonObject): Promise<ControllerTransport> {
  const controller = await buildController(parseConfig({ device: { id: 'migration-test' }, transports: [transport] }, { env: {} }), registry);
  await controller.start(new AbortController().signal);
  await firstValueFrom(controller.status$.pipe(filter((status) => status.state === 'online')));
  return controller;
}

/** Commands from both sides to every device, all of which must be answered. */
async function commandsFromBothSides(sides: readonly ControllerTransport[], base: number): Promise<void> {
  const answers = await Promise.all(
    DEVICES.flatMap((id, index) => sides.map((side, n) => side.invoke(id, 'setVolume', { volume: (base + index + n) % 100 }, { timeoutMs: 20_000 }))),
  );
  expect(answers.filter((answer) => !answer.success)).toEqual([]);
  expect(answers).toHaveLength(DEVICES.length * sides.length);
}

describe('amora migrate: a fleet from IoT Hub to AWS IoT Core and back', () => {
  let hub: AzureIotHubEmulator;
  let hubBack: AzureIotHubEmulator;
  let aws: AwsIotEmulator;
  let control: IoTClient;
  let data: IoTDataPlaneClient;
  let dir: string;
  let agents = new Map<string, Agent>();
  let azureController: ControllerTransport;
  let awsController: ControllerTransport;
  let hubBackController: ControllerTransport;
  let azureCaPath: string;
  let hubBackCaPath: string;

  /** Environment of the CLI: the clouds' endpoints and credentials as an operator sets them. */
  const cliEnv = (azure: AzureIotHubEmulator, caPath: string): NodeJS.ProcessEnv => ({
    AMORA_SERVICE_CONNECTION_STRING: azure.serviceConnectionString,
    AMORA_AZURE_CA: caPath,
    AMORA_AZURE_DEVICE_HOST: `${azure.host}:${azure.mqttPort}`,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    AWS_REGION: aws.region,
    AMORA_AWS_CONTROL_ENDPOINT: aws.httpsEndpoint,
    AMORA_AWS_DATA_ENDPOINT: aws.httpsEndpoint,
    AMORA_AWS_DEVICE_ENDPOINT: `${aws.endpoint}:${aws.mqttPort}`,
    AMORA_AWS_CA: aws.caPath,
  });

  /** A config rollout: every agent restarts with the transports `entries` gives it. */
  async function rollOut(entries: (id: string) => Promise<{ transports: JsonObject[]; env?: Record<string, string> }>): Promise<void> {
    await Promise.all([...agents.values()].map((agent) => agent.stop()));
    const next = new Map<string, Agent>();
    await Promise.all(
      DEVICES.map(async (id) => {
        const { transports, env = {} } = await entries(id);
        // A short system refresh: status reads each side's last command from it.
        const config = parseConfig({ device: { id }, player: { kind: 'virtual' }, transports, system: { uptimeIntervalMs: 1000 }, log: { level: 'error' } }, { env });
        const agent = await buildAgent(config, registry);
        await agent.start();
        next.set(id, agent);
      }),
    );
    agents = next;
  }

  /** The dual-home config `status` reads: both clouds' entries, controller side. */
  /** An aws-iot entry for a controller that connects as `probe` and reads shadows over HTTPS. */
  function awsControllerEntry(probe: { certPath: string; keyPath: string }) {
    return {
      kind: 'aws-iot',
      endpoint: aws.endpoint,
      port: aws.mqttPort,
      certPath: probe.certPath,
      keyPath: probe.keyPath,
      caPath: aws.caPath,
      controller: { httpsEndpoint: aws.httpsEndpoint, region: aws.region, credentials: { accessKeyId: aws.credentials.accessKeyId, secretAccessKey: aws.credentials.secretAccessKey } },
    };
  }

  async function statusConfig(name: string, azure: AzureIotHubEmulator, caPath: string): Promise<string> {
    const probe = await aws.createThing('migration-status');
    const path = join(dir, name);
    const config = {
      device: { id: 'migration-status' },
      transports: [
        { kind: 'azure-iot-hub', serviceConnectionString: azure.serviceConnectionString, ca: caPath, refreshIntervalMs: 250 },
        awsControllerEntry(probe),
      ],
    };
    await writeFile(path, JSON.stringify(config));
    return path;
  }

  async function shadowDesired(id: string): Promise<JsonObject> {
    const { payload } = await data.send(new GetThingShadowCommand({ thingName: id }));
    return ((JSON.parse(blobText(payload)) as { state?: { desired?: JsonObject } }).state?.desired ?? {}) as JsonObject;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-migrate-'));
    [hub, hubBack, aws] = await Promise.all([
      startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: DEVICES, eventHub: false }),
      startAzureIotHubEmulator({ port: 0, httpsPort: 0, eventHub: false }),
      startAwsIotEmulator(),
      ensureCliBuilt(),
    ]);
    control = controlPlaneClient(aws);
    data = dataPlaneClient(aws);
    azureCaPath = join(dir, 'hub-ca.pem');
    hubBackCaPath = join(dir, 'hub-back-ca.pem');
    await Promise.all([writeFile(azureCaPath, hub.caPem), writeFile(hubBackCaPath, hubBack.caPem)]);
    // What the fleet carries on IoT Hub today: a desired volume per device, tags for the inventory.
    const { registry: hubRegistry } = serviceSdk(hub);
    await Promise.all(
      DEVICES.map((id, index) =>
        hubRegistry.updateTwin(id, { tags: { site: 'hq', ...(index === 0 ? { location: { room: 'lobby' } } : {}) }, properties: { desired: { audio: { volume: 10 + index } } } }, '*'),
      ),
    );
    await rollOut(async (id) => ({ transports: [azureEntry(hub, id)] }));
    azureController = await controllerFor({ kind: 'azure-iot-hub', serviceConnectionString: hub.serviceConnectionString, ca: hub.caPem });
    const probe = await aws.createThing('migration-controller');
    awsController = await controllerFor(awsControllerEntry(probe));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...agents.values()].map((agent) => agent.stop()));
    await Promise.all([azureController?.stop(), awsController?.stop(), hubBackController?.stop()]);
    control?.destroy();
    data?.destroy();
    await Promise.all([hub?.close(), hubBack?.close(), aws?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('plans the move: every device, its desired state and tags, and the tag a thing attribute cannot hold', async () => {
    const result = await runCli(['migrate', 'plan', '--from', 'azure', '--to', 'aws', '--json', '--devices', 'mig-*'], cliEnv(hub, azureCaPath));
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { totals: object; devices: { id: string; desired: JsonObject; attributes: object; findings: { subject: string }[] }[] };
    expect(plan.totals).toEqual({ devices: FLEET, blocked: 0, withDropped: 1 });
    expect(plan.devices[1]).toMatchObject({ id: 'mig-001', desired: { audio: { volume: 11 } }, attributes: { site: 'hq' }, findings: [] });
    expect(plan.devices[0]?.findings).toEqual([expect.objectContaining({ subject: 'tags.location' })]);
    expect(result.stdout).not.toContain(hub.serviceConnectionString);
  });

  it('reads a fleet larger than one query page, every device once', async () => {
    const clients = openAzureClients({ connectionString: hub.serviceConnectionString, caPem: hub.caPem, auth: 'sas', certDays: 365 });
    const calls = new CloudCalls(1000, 4);
    try {
      const fleet = await readAzureFleet(clients, calls, () => true, 7);
      expect(fleet.devices.map((device) => device.id)).toEqual(DEVICES);
      expect(calls.calls).toBe(Math.ceil(FLEET / 7));
    } finally {
      calls.close();
      clients.close();
    }
  });

  it('applies it to AWS: killed with SIGKILL half-way, the rerun finishes without a second certificate', async () => {
    const out = join(dir, 'to-aws');
    const args = ['migrate', 'apply', '--from', 'azure', '--to', 'aws', '--out', out, '--devices', 'mig-*', '--concurrency', '4', '--rate', '1000'];
    const dryRun = await runCli([...args, '--dry-run', '--json'], cliEnv(hub, azureCaPath));
    expect(dryRun.code).toBe(0);
    expect((JSON.parse(dryRun.stdout) as { devices: { steps: string[] }[] }).devices[0]?.steps).toEqual(['thing', 'certificate', 'principal', 'policy', 'desired', 'output']);
    expect(((await control.send(new ListThingsCommand({}))).things ?? []).filter((thing) => thing.thingName?.startsWith('mig-'))).toEqual([]);
    const first = spawnCli(args, cliEnv(hub, azureCaPath));
    await first.stderrLine((line) => /^\d+\/50 done mig-/.test(line));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await runCli([...args, '--json'], cliEnv(hub, azureCaPath));
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as { totals: { done: number; failed: number; alreadyDone: number } };
    expect(report.totals).toMatchObject({ done: FLEET, failed: 0 });
    expect(report.totals.alreadyDone).toBeGreaterThan(0);

    const things = (await control.send(new ListThingsCommand({ maxResults: 250 }))).things ?? [];
    expect(things.filter((thing) => thing.thingName?.startsWith('mig-')).map((thing) => [thing.thingName, thing.attributes])).toEqual(
      DEVICES.map((id) => [id, { site: 'hq' }]),
    );
    const principals = await Promise.all(DEVICES.map(async (id) => [id, (await control.send(new ListThingPrincipalsCommand({ thingName: id }))).principals?.length]));
    expect(principals).toEqual(DEVICES.map((id) => [id, 1]));
    // No desired state lost: each shadow's desired is the twin's.
    expect(await Promise.all(DEVICES.map(shadowDesired))).toEqual(DEVICES.map((_, index) => ({ audio: { volume: 10 + index } })));
    expect((await stat(join(out, 'mig-007', 'private.pem.key'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(out, 'mig-000', 'unmapped.json'), 'utf8'))).toEqual({ tags: { location: { room: 'lobby' } } });
  }, 180_000);

  it('goes dual-home: every command from either side is answered and status shows every device moved', async () => {
    const out = join(dir, 'to-aws');
    await rollOut(async (id) => {
      const target = await writtenEntry(out, id);
      return { transports: [azureEntry(hub, id), target.entry] };
    });
    await commandsFromBothSides([azureController, awsController], 40);
    const config = await statusConfig('dual-aws.json', hub, azureCaPath);
    const status = await runCli(
      ['migrate', 'status', '--from', 'azure', '--to', 'aws', '--config', config, '--devices', 'mig-*', '--settle', '1500', '--wait', '30000', '--json'],
      cliEnv(hub, azureCaPath),
    );
    const table = JSON.parse(status.stdout) as { moved: number; total: number; devices: DeviceMoveStatus[] };
    expect(table).toMatchObject({ moved: FLEET, total: FLEET });
    expect(table.devices.filter((device) => device.source.presence !== 'online' || device.target.presence !== 'online' || !device.inSync)).toEqual([]);
    // The commands just sent over each side show as each side's last command.
    expect(table.devices.filter((device) => device.source.lastCommandAt === undefined || device.target.lastCommandAt === undefined)).toEqual([]);
    expect(status.code).toBe(0);
  }, 60_000);

  it('cuts over to AWS alone: commands and desired state over AWS reach every device', async () => {
    const out = join(dir, 'to-aws');
    await rollOut(async (id) => ({ transports: [(await writtenEntry(out, id)).entry] }));
    await commandsFromBothSides([awsController], 60);
    // Desired state set on the new home only, which the way back must carry.
    await Promise.all(DEVICES.map((id) => data.send(new UpdateThingShadowCommand({ thingName: id, payload: new TextEncoder().encode(JSON.stringify({ state: { desired: { audio: { volume: 7 } } } })) }))));
    const states = await Promise.all(
      DEVICES.map((id) => firstValueFrom(awsController.state$(id).pipe(filter((message) => (message.state as AudioView).audio?.volume === 7)))),
    );
    expect(states.map((message) => message.device_id)).toEqual(DEVICES);
  }, 60_000);

  it('and back to a new hub: plan, apply, dual-home, status, cutover', async () => {
    const out = join(dir, 'to-azure');
    const env = cliEnv(hubBack, hubBackCaPath);
    const apply = await runCli(['migrate', 'apply', '--from', 'aws', '--to', 'azure', '--out', out, '--devices', 'mig-*', '--rate', '1000', '--json'], env);
    expect(apply.code).toBe(0);
    expect((JSON.parse(apply.stdout) as { totals: object }).totals).toMatchObject({ done: FLEET, failed: 0 });
    expect((await stat(join(out, 'mig-003', 'secrets.env'))).mode & 0o777).toBe(0o600);
    const { registry: backRegistry } = serviceSdk(hubBack);
    const twins = await Promise.all(DEVICES.map(async (id) => (await backRegistry.getTwin(id)).responseBody));
    expect(twins.map((twin) => [twin.tags, twin.properties.desired['audio']])).toEqual(DEVICES.map(() => [{ site: 'hq' }, { volume: 7 }]));

    hubBackController = await controllerFor({ kind: 'azure-iot-hub', serviceConnectionString: hubBack.serviceConnectionString, ca: hubBack.caPem });
    const awsOut = join(dir, 'to-aws');
    await rollOut(async (id) => {
      const [back, there] = await Promise.all([writtenEntry(out, id), writtenEntry(awsOut, id)]);
      return { transports: [there.entry, back.entry], env: back.env };
    });
    await commandsFromBothSides([awsController, hubBackController], 70);
    const config = await statusConfig('dual-azure.json', hubBack, hubBackCaPath);
    // --watch: a JSON line per change, until every device has moved; Ctrl-C ends it cleanly.
    const watch = spawnCli(['migrate', 'status', '--from', 'aws', '--to', 'azure', '--config', config, '--devices', 'mig-*', '--settle', '500', '--watch', '--json'], env);
    try {
      await watch.stdoutLine((line) => (JSON.parse(line) as { moved: number }).moved === FLEET);
      expect(await watch.stop('SIGINT')).toEqual({ code: 0, signal: null });
    } finally {
      await watch.kill();
    }

    await rollOut(async (id) => {
      const back = await writtenEntry(out, id);
      return { transports: [back.entry], env: back.env };
    });
    await commandsFromBothSides([hubBackController], 80);
  }, 90_000);
  it('provisions IoT Hub identities with self-signed certificates (--azure-auth x509) that the devices connect with', async () => {
    const hubX509 = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, eventHub: false });
    const caPath = join(dir, 'hub-x509-ca.pem');
    await writeFile(caPath, hubX509.caPem);
    const out = join(dir, 'to-azure-x509');
    let agent: Agent | undefined;
    let controller: ControllerTransport | undefined;
    try {
      const args = ['migrate', 'apply', '--from', 'aws', '--to', 'azure', '--azure-auth', 'x509', '--out', out, '--devices', 'mig-00?', '--rate', '1000', '--json'];
      const apply = await runCli(args, cliEnv(hubX509, caPath));
      expect(apply.code).toBe(0);
      expect((JSON.parse(apply.stdout) as { totals: object }).totals).toMatchObject({ done: 10, failed: 0 });
      expect((await stat(join(out, 'mig-001', 'device.key.pem'))).mode & 0o777).toBe(0o600);
      // A rerun registers nothing new and keeps the certificates.
      const certificate = await readFile(join(out, 'mig-001', 'device.cert.pem'), 'utf8');
      await rm(join(out, 'state.json'));
      expect((await runCli(args, cliEnv(hubX509, caPath))).code).toBe(0);
      expect(await readFile(join(out, 'mig-001', 'device.cert.pem'), 'utf8')).toBe(certificate);

      const { entry } = await writtenEntry(out, 'mig-001');
      agent = await buildAgent(parseConfig({ device: { id: 'mig-001' }, player: { kind: 'virtual' }, transports: [entry] }, { env: {} }), registry);
      await agent.start();
      controller = await controllerFor({ kind: 'azure-iot-hub', serviceConnectionString: hubX509.serviceConnectionString, ca: hubX509.caPem });
      expect(await controller.invoke('mig-001', 'setVolume', { volume: 12 }, { timeoutMs: 20_000 })).toMatchObject({ success: true });
    } finally {
      await agent?.stop();
      await controller?.stop();
      await hubX509.close();
    }
  }, 60_000);
});
