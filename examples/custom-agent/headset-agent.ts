import { Subscription } from 'rxjs';
import { PluginRegistry, buildAgent, silentLogger, systemClock, toErrorObject, type Agent, type Clock, type LoadedConfig, type Logger } from '../../core/index.js';
import { AncHeadset } from './headset.js';
import { createHeadsetProfile } from './headset-profile.js';

export interface HeadsetAgentOptions {
  /** Device id, transports and agent settings; `device.profile` is informational here. */
  readonly config: LoadedConfig;
  /** Where transport kinds come from. Default: transportRegistry(). */
  readonly registry?: PluginRegistry;
  /** The headset to drive. Default: a simulated one on `clock`. */
  readonly headset?: AncHeadset;
  readonly logger?: Logger;
  /** Time of the simulation and of the metrics timer. Default: the system clock. */
  readonly clock?: Clock;
  /** How often `metrics` telemetry is sent, ms. Default 10 000. */
  readonly metricsIntervalMs?: number;
  /** Reported as `system.version`. */
  readonly version?: string;
}

/** A started headset agent. */
export interface HeadsetAgent {
  readonly agent: Agent;
  readonly headset: AncHeadset;
  /** Stops the telemetry, the headset and the agent (which says goodbye on every transport). */
  stop(): Promise<void>;
}

/**
 * The transport kinds a headset agent can use, each imported only when a config names it, so an
 * agent on MQTT never loads a cloud SDK. Add your own with `registry.register(plugin)` or list them
 * under `plugins:` in the config.
 */
export function transportRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  registry.registerLazy('mqtt', async () => (await import('../../adapters/mqtt/plugin.js')).default);
  registry.registerLazy('azure-iot-hub', async () => (await import('../../adapters/azure-iot-hub/plugin.js')).default);
  registry.registerLazy('aws-iot', async () => (await import('../../adapters/aws-iot/plugin.js')).default);
  return registry;
}

/**
 * Builds the agent from the config with the headset's own profile (buildAgent's `profile` option
 * replaces the built-in player profile, so no player is created), starts it, then starts the
 * headset and its telemetry: `metrics` every interval, `emergency` the moment one happens.
 */
export async function startHeadsetAgent(options: HeadsetAgentOptions): Promise<HeadsetAgent> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const headset = options.headset ?? new AncHeadset({ clock });
  const agent = await buildAgent(options.config, options.registry ?? transportRegistry(), {
    profile: createHeadsetProfile(headset),
    logger,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  await agent.start();

  const subscriptions = new Subscription();
  const emit = (kind: string, data: Parameters<Agent['emitTelemetry']>[1]): void => {
    try {
      agent.emitTelemetry(kind, data);
    } catch (error) {
      logger.error({ kind, err: toErrorObject(error) }, 'telemetry refused');
    }
  };
  subscriptions.add(headset.events$.subscribe((event) => emit('emergency', { ...event })));
  const interval = options.metricsIntervalMs ?? 10_000;
  let metricsTimer: { cancel(): void } | undefined;
  const sendMetrics = (): void => {
    const { anc, battery } = headset.state;
    emit('metrics', { battery_level: battery.level, charging: battery.charging, anc_mode: anc.mode, anc_level: anc.level });
    metricsTimer = clock.setTimeout(sendMetrics, interval);
  };
  metricsTimer = clock.setTimeout(sendMetrics, interval);
  headset.start();

  return {
    agent,
    headset,
    stop: async () => {
      metricsTimer?.cancel();
      subscriptions.unsubscribe();
      headset.stop();
      await agent.stop();
    },
  };
}
