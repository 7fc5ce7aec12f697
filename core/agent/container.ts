import { Container } from 'inversify';
import { systemClock, type Clock } from '../clock.js';
import { resolveOptionPaths } from '../config/option-paths.js';
import type { LoadedConfig } from '../config/parse.js';
import { CORE_TRANSPORT_KEYS, type KindSection, type RateLimitConfig } from '../config/schema.js';
import { PluginLoadError } from '../errors.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { PlayerAdapter } from '../player/player-adapter.js';
import { createPlayerProfile, PLAYER_PROFILE, type PlayerProfileSettings } from '../player/player-profile.js';
import type { PluginRegistry } from '../plugins/loader.js';
import type { MessageMiddleware } from '../plugins/middleware.js';
import { withControllerMiddleware } from '../plugins/middleware-controller-transport.js';
import { withDeviceMiddleware } from '../plugins/middleware-device-transport.js';
import type { PluginKindRole } from '../plugins/plugin.js';
import { TOKENS } from '../plugins/tokens.js';
import { rateLimitTelemetry } from '../telemetry/rate-limit.js';
import type { ControllerTransport } from '../transport/controller-transport.js';
import type { DeviceTransport } from '../transport/device-transport.js';
import { ExponentialBackoffRetryPolicy } from '../transport/exponential-backoff.js';
import type { RetryPolicy } from '../transport/retry-policy.js';
import type { ContentConfig } from '../config/content-schema.js';
import type { ContentSyncFeature } from '../player/content-sync.js';
import type { PlayerFeatures } from '../player/player-commands.js';
import type { DeviceStorage } from '../state/device-storage.js';
import type { Agent } from './agent.js';
import { RebootRequest } from './reboot-request.js';
import { AGENT_TOKENS, agentModule } from './agent-module.js';
import type { DeviceProfile } from './device-profile.js';

export interface BuildOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly retryPolicy?: RetryPolicy;
}

export interface BuildAgentOptions extends BuildOptions {
  /** Reported as `system.version`; the CLI passes the package version. */
  readonly version?: string;
  /** Use this profile instead of the one named by `device.profile` (custom agents in code). */
  readonly profile?: DeviceProfile | ((player: PlayerAdapter | undefined) => DeviceProfile);
  /**
   * What survives a restart: the state version and each transport's outbox (bound to
   * TOKENS.DeviceStorage, where transports find it). `amora agent` passes its state directory.
   */
  readonly storage?: DeviceStorage;
  /**
   * What `reboot` does once the agent has answered and gone offline (the CLI runs
   * `system.reboot.command`, or restarts the agent in dev_mode). Without it `reboot` answers `unsupported`.
   */
  readonly reboot?: () => Promise<void>;
  /**
   * Builds the content sync feature when the config has `content.source` (Node-only, so the
   * composition root brings it: the CLI passes `createContentSync` from `content/`).
   */
  readonly contentSync?: (context: ContentSyncContext) => ContentSyncFeature;
}

/** What a content sync engine is built from. */
export interface ContentSyncContext {
  readonly config: ContentConfig;
  readonly player: PlayerAdapter | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface BuildControllerOptions extends BuildOptions {
  /** Which `transports` entry to build the controller side of. Default 0. */
  readonly transportIndex?: number;
}

/** The player kind used when the config has no `player` section. */
export const DEFAULT_PLAYER_KIND = 'virtual';

/**
 * Builds an agent from a validated config through DI: loads the config's plugins, instantiates
 * the player kind (default `virtual`) and every transport kind, each in its own child container
 * (instance ids `mqtt`, `mqtt#2`, ...), wraps those with a `rateLimit` in a telemetry rate
 * limiter, picks the profile, and resolves TOKENS.Agent.
 * Nothing starts here; call `agent.start(signal)`. Fails with PluginLoadError on bad kinds/options.
 */
export async function buildAgent(config: LoadedConfig, registry: PluginRegistry, options: BuildAgentOptions = {}): Promise<Agent> {
  const root = await rootContainer(config, registry, options);
  if (options.version !== undefined) root.bind(AGENT_TOKENS.Version).toConstantValue(options.version);
  if (options.storage !== undefined) root.bind(TOKENS.DeviceStorage).toConstantValue(options.storage);

  const profileName = config.device.profile;
  const needsPlayer = profileName === PLAYER_PROFILE && options.profile === undefined;
  const playerSection = config.player ?? (needsPlayer ? { kind: DEFAULT_PLAYER_KIND } : undefined);
  let player: PlayerAdapter | undefined;
  if (playerSection) {
    player = await instantiate<PlayerAdapter>(registry, root, config, playerSection, 'player', TOKENS.PlayerAdapter, playerSection.kind);
    root.bind(TOKENS.PlayerAdapter).toConstantValue(player);
  }

  const middlewares = await buildMiddlewares(registry, root, config);
  const ids = instanceIds(config.transports);
  for (const [index, section] of config.transports.entries()) {
    const built = await instantiate<DeviceTransport>(registry, root, config, section, 'transport', TOKENS.DeviceTransport, ids[index] ?? section.kind);
    const transport = withDeviceMiddleware(built, middlewares, config.device.id, options.logger ?? silentLogger, options.clock ?? systemClock);
    root.bind(TOKENS.DeviceTransport).toConstantValue(section.rateLimit ? withRateLimit(transport, section.rateLimit, options) : transport);
  }

  const features = playerFeatures(config, player, options);
  if (features.content) root.bind(AGENT_TOKENS.Component).toConstantValue(features.content);
  if (features.reboot && options.reboot) root.bind(AGENT_TOKENS.Reboot).toConstantValue({ request: features.reboot, run: options.reboot });
  const settings = { ...(config.audio ? { audio: config.audio } : {}), clock: options.clock ?? systemClock, features };
  root.bind(TOKENS.DeviceProfile).toConstantValue(await resolveProfile(root, registry, profileName, player, options.profile, settings));
  root.load(agentModule());
  return root.get<Agent>(TOKENS.Agent);
}

/**
 * Builds the controller side (apps, backends, `amora ctl`/`watch`) of one `transports` entry:
 * the same kind and options, resolved as TOKENS.ControllerTransport. Not started.
 */
export async function buildController(
  config: LoadedConfig,
  registry: PluginRegistry,
  options: BuildControllerOptions = {},
): Promise<ControllerTransport> {
  const index = options.transportIndex ?? 0;
  const section = config.transports[index];
  if (!section) {
    throw new PluginLoadError('(config)', undefined, `transports[${index}] does not exist (the config has ${config.transports.length})`);
  }
  const root = await rootContainer(config, registry, options);
  const middlewares = await buildMiddlewares(registry, root, config);
  const transport = await instantiate<ControllerTransport>(registry, root, config, section, 'transport', TOKENS.ControllerTransport, instanceIds(config.transports)[index] ?? section.kind);
  return withControllerMiddleware(transport, middlewares, options.logger ?? silentLogger);
}

/** The config's `middleware` entries, each a `middleware` kind binding TOKENS.MessageMiddleware, in order. */
async function buildMiddlewares(registry: PluginRegistry, root: Container, config: LoadedConfig): Promise<MessageMiddleware[]> {
  const sections = config.middleware ?? [];
  const ids = instanceIds(sections);
  const built: MessageMiddleware[] = [];
  for (const [index, section] of sections.entries()) {
    built.push(await instantiate<MessageMiddleware>(registry, root, config, section, 'middleware', TOKENS.MessageMiddleware, ids[index] ?? section.kind));
  }
  return built;
}

/** Instance ids unique within an agent: the kind name, then `kind#2`, `kind#3`, ... */
export function instanceIds(sections: readonly KindSection[]): string[] {
  const seen = new Map<string, number>();
  return sections.map((section) => {
    const count = (seen.get(section.kind) ?? 0) + 1;
    seen.set(section.kind, count);
    return count === 1 ? section.kind : `${section.kind}#${count}`;
  });
}

async function rootContainer(config: LoadedConfig, registry: PluginRegistry, options: BuildOptions): Promise<Container> {
  for (const specifier of config.plugins ?? []) await registry.loadPlugin(specifier, { baseDir: config.baseDir });
  const root = new Container();
  root.bind(TOKENS.Config).toConstantValue(config);
  root.bind(TOKENS.Logger).toConstantValue(options.logger ?? silentLogger);
  root.bind(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
  root.bind(TOKENS.DeviceId).toConstantValue(config.device.id);
  root.bind(TOKENS.RetryPolicy).toConstantValue(options.retryPolicy ?? new ExponentialBackoffRetryPolicy());
  return root;
}

/**
 * Builds one kind instance from its config section: core-level keys (`rateLimit`) are taken out,
 * and relative paths in the options the kind declares as file paths are resolved against the
 * config's `baseDir`, before the kind validates what is left.
 */
async function instantiate<T>(
  registry: PluginRegistry,
  root: Container,
  config: LoadedConfig,
  section: KindSection,
  role: PluginKindRole,
  token: symbol,
  instanceId: string,
): Promise<T> {
  const { plugin, kind } = await registry.loadKind(section.kind);
  if (kind.role !== role) {
    throw new PluginLoadError(plugin.name, section.kind, `kind is a ${kind.role}, but is configured as a ${role}`);
  }
  const options = resolveOptionPaths(role === 'transport' ? withoutCoreKeys(section) : section, kind.paths, config.baseDir);
  return registry.instantiateAsync<T>(root, section.kind, options, token, instanceId);
}

function withoutCoreKeys(section: KindSection): KindSection {
  const options: Record<string, unknown> = { ...section };
  for (const key of CORE_TRANSPORT_KEYS) delete options[key];
  return options as KindSection;
}

/**
 * The transport with its telemetry sent through a token bucket (rateLimitTelemetry): batches over
 * the rate wait; beyond `maxQueued` waiting the oldest is dropped, counted in its status and logged.
 */
function withRateLimit(transport: DeviceTransport, limit: RateLimitConfig, options: BuildOptions): DeviceTransport {
  const logger = options.logger ?? silentLogger;
  return rateLimitTelemetry(transport, {
    perSecond: limit.perSecond,
    ...(limit.burst === undefined ? {} : { burst: limit.burst }),
    ...(limit.maxQueued === undefined ? {} : { capacity: limit.maxQueued }),
    clock: options.clock ?? systemClock,
    onOverflow: (dropped, batch) => {
      // One line for the first drop, then one per hundred: a sustained overload must not flood the log.
      if (dropped === 1 || dropped % 100 === 0) {
        logger.warn({ transport: transport.id, kind: batch.kind, dropped, perSecond: limit.perSecond }, 'telemetry over the rate limit: dropped the oldest waiting batch');
      }
    },
  });
}

/**
 * The device profile: an explicit one, the built-in `player` profile, or a plugin kind named
 * like the profile whose module binds TOKENS.DeviceProfile (it may inject TOKENS.PlayerAdapter).
 */
async function resolveProfile(
  root: Container,
  registry: PluginRegistry,
  name: string,
  player: PlayerAdapter | undefined,
  explicit: BuildAgentOptions['profile'],
  settings: PlayerProfileSettings,
): Promise<DeviceProfile> {
  if (typeof explicit === 'function') return explicit(player);
  if (explicit) return explicit;
  if (name === PLAYER_PROFILE) {
    if (!player) throw new PluginLoadError(PLAYER_PROFILE, undefined, 'the player profile needs a player');
    return createPlayerProfile(player, settings);
  }
  return registry.instantiateAsync<DeviceProfile>(root, name, {}, TOKENS.DeviceProfile, name);
}

/** Content sync (when configured and brought by the caller) and reboot (when it has an action). */
function playerFeatures(config: LoadedConfig, player: PlayerAdapter | undefined, options: BuildAgentOptions): PlayerFeatures {
  const content = config.content;
  const logger = options.logger ?? silentLogger;
  const contentSync = content?.source && options.contentSync ? options.contentSync({ config: content, player, logger, clock: options.clock ?? systemClock }) : undefined;
  return {
    ...(contentSync ? { content: contentSync, syncTimeoutMs: content?.sync_timeout_ms } : {}),
    ...(options.reboot ? { reboot: new RebootRequest() } : {}),
  };
}
