import { ContainerModule, type ResolutionContext } from 'inversify';
import { systemClock, type Clock } from '../clock.js';
import type { AgentConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { PlayerAdapter } from '../player/player-adapter.js';
import { TOKENS } from '../plugins/tokens.js';
import type { DeviceStorage } from '../state/device-storage.js';
import type { DeviceTransport } from '../transport/device-transport.js';
import { createAgent, type Agent } from './agent.js';
import type { AgentOptions } from './agent.types.js';
import type { DeviceProfile } from './device-profile.js';
import type { Lifecycle } from './lifecycle.js';

/** DI tokens of the agent module beyond the shared TOKENS. */
export const AGENT_TOKENS = {
  /** The version reported as `system.version` (a string). */
  Version: Symbol.for('amora.agent.version'),
  /** Extra Lifecycle components, started after the player and before the transports (multi-bound). */
  Component: Symbol.for('amora.agent.component'),
  /** `{request: RebootRequest, run}`: what the `reboot` command triggers (AgentOptions.reboot). */
  Reboot: Symbol.for('amora.agent.reboot'),
} as const;

/**
 * Binds TOKENS.Agent (a singleton) built from what the container holds: TOKENS.DeviceId,
 * TOKENS.DeviceProfile, every TOKENS.DeviceTransport, the optional TOKENS.PlayerAdapter (started
 * first), AGENT_TOKENS.Component, TOKENS.Logger, TOKENS.Clock, and the optional TOKENS.Config for
 * command, telemetry, system, state and desired settings, and the optional TOKENS.DeviceStorage. TOKENS.DeviceState resolves to the agent's state.
 */
export function agentModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<Agent>(TOKENS.Agent)
      .toDynamicValue((context) => createAgent(agentOptionsFrom(context)))
      .inSingletonScope();
    bind(TOKENS.DeviceState).toDynamicValue((context) => context.get<Agent>(TOKENS.Agent).state);
  });
}

/** AgentOptions from the container's bindings (see agentModule). */
export function agentOptionsFrom(context: ResolutionContext): AgentOptions {
  const config = context.get<AgentConfig>(TOKENS.Config, { optional: true });
  const player = context.get<PlayerAdapter>(TOKENS.PlayerAdapter, { optional: true });
  const components: Lifecycle[] = [...(player ? [player] : []), ...context.getAll<Lifecycle>(AGENT_TOKENS.Component)];
  const system = config?.system;
  return {
    deviceId: context.get<string>(TOKENS.DeviceId),
    profile: context.get<DeviceProfile>(TOKENS.DeviceProfile),
    transports: context.getAll<DeviceTransport>(TOKENS.DeviceTransport),
    components,
    logger: context.get<Logger>(TOKENS.Logger, { optional: true }) ?? silentLogger,
    clock: context.get<Clock>(TOKENS.Clock, { optional: true }) ?? systemClock,
    version: context.get<string>(AGENT_TOKENS.Version, { optional: true }) ?? '0.0.0',
    commands: config?.commands,
    telemetry: config?.telemetry,
    system: system?.enabled === false ? false : { uptimeIntervalMs: system?.uptimeIntervalMs },
    storage: context.get<DeviceStorage>(TOKENS.DeviceStorage, { optional: true }),
    desired: config?.desired,
    state: config?.state,
    reboot: context.get<AgentOptions['reboot']>(AGENT_TOKENS.Reboot, { optional: true }),
  };
}
