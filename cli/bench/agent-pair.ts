import { filter, firstValueFrom, timeout } from 'rxjs';
import {
  buildAgent,
  buildController,
  parseConfig,
  type Agent,
  type BuildAgentOptions,
  type ControllerTransport,
  type PluginRegistry,
} from '../../core/index.js';
import { benchProfile } from './bench-profile.js';

/** An agent and a controller of the same `transports` entry, both started, the device reachable. */
export interface AgentPair {
  readonly deviceId: string;
  readonly agent: Agent;
  readonly controller: ControllerTransport;
  /** Stops the controller, then the agent (every connection closed, so the process can exit). */
  stop(): Promise<void>;
}

export interface AgentPairOptions {
  readonly deviceId: string;
  /** One `transports:` entry (with `kind`). */
  readonly transport: Record<string, unknown>;
  /** A `player:` section; without one the agent runs the bench profile (the `echo` command, no player). */
  readonly player?: Record<string, unknown>;
  /** A `middleware:` list applied at both ends (the signing scenario). */
  readonly middleware?: readonly Record<string, unknown>[];
  /**
   * Resolves once the device can be reached through the controller. Default: the controller
   * online and the device's presence online (a polling controller needs something faster).
   */
  readonly ready?: (pair: AgentPair) => Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/** Builds both ends from one config through the built-in registry, as `amora agent` and `amora ctl` do. */
export async function startAgentPair(registry: PluginRegistry, options: AgentPairOptions): Promise<AgentPair> {
  const { deviceId } = options;
  const { config, agentOptions } = pairConfig(options);
  const agent = await buildAgent(config, registry, agentOptions);
  const controller = await buildController(config, registry);
  const abort = new AbortController();
  const pair: AgentPair = {
    deviceId,
    agent,
    controller,
    async stop() {
      await controller.stop();
      await agent.stop();
    },
  };
  try {
    await agent.start(abort.signal);
    await controller.start(abort.signal);
    await (options.ready ?? presenceOnline)(pair);
  } catch (error) {
    await pair.stop();
    throw error;
  }
  return pair;
}

/** The agent of a pair alone, started: for a process of its own (cli/bench/command-devices.ts). */
export async function startPairAgent(registry: PluginRegistry, options: AgentPairOptions): Promise<Agent> {
  const { config, agentOptions } = pairConfig(options);
  const agent = await buildAgent(config, registry, agentOptions);
  try {
    await agent.start(new AbortController().signal);
  } catch (error) {
    await agent.stop();
    throw error;
  }
  return agent;
}

/** The controller of a pair alone, started, once the agent (running elsewhere) is online. */
export async function startPairController(registry: PluginRegistry, options: AgentPairOptions): Promise<ControllerTransport> {
  const controller = await buildController(pairConfig(options).config, registry);
  try {
    await controller.start(new AbortController().signal);
    await presenceOnline({ controller, deviceId: options.deviceId });
  } catch (error) {
    await controller.stop();
    throw error;
  }
  return controller;
}

/** The config both ends are built from, and the agent's build options. */
function pairConfig(options: AgentPairOptions): { config: ReturnType<typeof parseConfig>; agentOptions: BuildAgentOptions } {
  const { deviceId } = options;
  const raw = options.player
    ? { device: { id: deviceId }, player: options.player, transports: [options.transport] }
    : { device: { id: deviceId, profile: 'bench' }, system: { enabled: false }, transports: [options.transport] };
  const config = parseConfig(options.middleware ? { ...raw, middleware: options.middleware } : raw, { env: {} });
  return { config, agentOptions: options.player ? {} : { profile: benchProfile } };
}

async function presenceOnline({ controller, deviceId }: Pick<AgentPair, 'controller' | 'deviceId'>): Promise<void> {
  await firstValueFrom(controller.status$.pipe(filter((s) => s.state === 'online'), timeout(READY_TIMEOUT_MS)));
  await firstValueFrom(controller.connection$(deviceId).pipe(filter((p) => p === 'online'), timeout(READY_TIMEOUT_MS)));
}
