import mqtt from 'mqtt';
import { buildController, parseConfig, type PluginRegistry } from '../../core/index.js';
import { fleetDeviceId, type FleetKind } from './fleet-link.js';
import { LatencyRecorder, nowMs, type LatencySummary } from './latency-recorder.js';
import { deadline, pause } from './transport-probe.js';

/** A controller (Amora's, or an mqtt.js client by hand) sending commands to the fleet while it publishes. */
export interface CommandProbe {
  /** Sends one command at a time, one every `intervalMs`, to devices spread over the fleet, until `finish()`. */
  run(intervalMs: number): void;
  /** Stops sending, closes the connection, and summarises the round trips and counts the commands never answered. */
  finish(): Promise<{ readonly roundTrip: LatencySummary; readonly unanswered: number }>;
}

/** A command unanswered this long counts as unanswered (the run goes on: a loaded machine must not end it). */
export const COMMAND_DEADLINE_MS = 15_000;

/** One command round trip: `echo` to a device, back to the prober. */
type RoundTrip = (deviceId: string, value: number) => Promise<void>;

export async function startCommandProbe(
  kind: FleetKind,
  registry: PluginRegistry,
  url: string,
  fleet: { readonly pass: number; readonly devices: number },
  protocolVersion: 4 | 5 = 5,
  responses: 'device' | 'fleet' = 'fleet',
): Promise<CommandProbe> {
  const { roundTrip, close } = kind === 'amora' ? await amoraLink(registry, url, protocolVersion, responses) : await rawLink(url);
  const recorder = new LatencyRecorder();
  const stopped = new AbortController();
  let unanswered = 0;
  let loop: Promise<void> = Promise.resolve();
  return {
    run(intervalMs) {
      loop = (async () => {
        for (let i = 0; !stopped.signal.aborted; i++) {
          // A stride coprime with most fleet sizes walks the whole fleet.
          const deviceId = fleetDeviceId(fleet.pass, (i * 7919) % fleet.devices);
          const start = nowMs();
          const answered = await deadline(roundTrip(deviceId, i), `command ${i} to ${deviceId}`, COMMAND_DEADLINE_MS).then(
            () => true,
            () => false,
          );
          if (answered) recorder.record(nowMs() - start);
          else unanswered++;
          await pause(intervalMs);
        }
      })();
    },
    async finish() {
      stopped.abort();
      try {
        await loop;
      } finally {
        await close();
      }
      return { roundTrip: recorder.summary(), unanswered };
    },
  };
}

async function amoraLink(registry: PluginRegistry, url: string, protocolVersion: 4 | 5, responseSubscription: 'device' | 'fleet'): Promise<{ roundTrip: RoundTrip; close: () => Promise<void> }> {
  const config = parseConfig({ device: { id: 'fleet-controller' }, transports: [{ kind: 'mqtt', url, protocolVersion, responseSubscription }] }, { env: {} });
  const controller = await buildController(config, registry);
  await controller.start(new AbortController().signal);
  return {
    async roundTrip(deviceId, value) {
      const response = await controller.invoke(deviceId, 'echo', { value }, { timeoutMs: COMMAND_DEADLINE_MS });
      if (!response.success) throw new Error(`fleet command failed: ${response.error.message}`);
    },
    close: () => controller.stop(),
  };
}

async function rawLink(url: string): Promise<{ roundTrip: RoundTrip; close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId: `fleet-raw-controller-${process.pid}`, reconnectPeriod: 0 });
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const pending = new Map<string, () => void>();
  client.on('message', (_topic, payload) => pending.get((JSON.parse(payload.toString()) as { command_id: string }).command_id)?.());
  await client.subscribeAsync('amora/devices/+/responses', { qos: 1 });
  return {
    roundTrip(deviceId, value) {
      const id = `raw-${value}`;
      const answered = new Promise<void>((resolve) => pending.set(id, resolve)).finally(() => pending.delete(id));
      client.publish(`amora/devices/${deviceId}/commands`, JSON.stringify({ command: 'echo', command_id: id, params: { value }, timestamp: Date.now() }), { qos: 1 });
      return answered;
    },
    close: () => client.endAsync(),
  };
}
