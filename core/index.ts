/**
 * The public API of Amora Sync core (`amora-sync`): what integrators, plugin authors and
 * controller apps build on. Browser-safe: nothing here imports Node built-ins (Node-only helpers
 * are in core/node.ts). What our own adapters, players and CLI share beyond this is in
 * core/internal.ts, which the package does not export; `index.spec.ts` pins this list, so a
 * change to the surface is deliberate.
 */

// Errors, time, logging
export {
  AmoraError,
  AuthenticationError,
  CommandError,
  ConfigError,
  PluginLoadError,
  TimeoutError,
  TransportError,
  isAmoraError,
  toErrorObject,
  type AmoraErrorCode,
  type AmoraErrorOptions,
  type ErrorObject,
} from './errors.js';
export { systemClock, type Clock } from './clock.js';
export { silentLogger, type LogFn, type Logger } from './logging/logger.js';

// State
export { isJsonObject, type JsonArray, type JsonObject, type JsonPrimitive, type JsonValue } from './state/json.js';
export type { DeviceStateMessage, StateChange, StateMetadata, StateSnapshot } from './state/snapshot.js';
export { STATE_CHANGE_KIND, STATE_CHANGE_MODES, type StateChangeMode, type StateChangeRecord } from './state/state-changes.js';
export type { DeviceStateStore } from './state/device-state.types.js';
export { applyMergePatch, createMergePatch } from './state/merge-patch.js';
export type { DeviceStorage } from './state/device-storage.js';
export type { DesiredLimits } from './state/desired-limits.js';
export { findJsonProblem, type JsonProblem, type JsonProblemKind } from './state/json-guard.js';

// Commands
export {
  defineCommand,
  type CommandContext,
  type CommandErrorCode,
  type CommandRequest,
  type CommandResponse,
  type CommandSpec,
} from './commands/types.js';
export type { CommandDispatcherApi } from './commands/dispatcher.types.js';

// Telemetry
export type { TelemetryBatch, TelemetryRecord } from './telemetry/types.js';
export type { EmitOptions, TelemetryPipelineApi } from './telemetry/pipeline.types.js';
export { Outbox, type DrainResult, type OutboxOptions } from './telemetry/outbox.js';
export type { OutboxStore, StoredOutboxItem } from './telemetry/outbox-store.js';
export { RateLimiter, rateLimitTelemetry, type RateLimiterOptions, type TelemetryRateLimitOptions } from './telemetry/rate-limit.js';

// Transports: the contracts, and what every transport shares (the template plugin uses it)
export type { ConnectionState, ConnectionStatus, PresenceState } from './transport/connection-status.js';
export type { DesiredUpdate, DeviceTransport, InboundCommand, TransportCapabilities } from './transport/device-transport.js';
export type { ControllerTransport, DeviceInfo, InvokeOptions } from './transport/controller-transport.js';
export type { RetryPolicy } from './transport/retry-policy.js';
export { ExponentialBackoffRetryPolicy, type ExponentialBackoffOptions } from './transport/exponential-backoff.js';
export type { ConnectionMessage, OfflineReason, TelemetryMessage } from './transport/wire-messages.js';
export { encodePayload, readPayload } from './transport/payload-json.js';
export { ReconnectingLink, type LinkSession, type ReconnectingLinkDeps, type ReconnectingLinkOptions } from './transport/reconnecting-link.js';
export { BufferedSender, type BufferedSenderOptions } from './transport/buffered-sender.js';
export { encodeResponseOrError } from './transport/response-fallback.js';
export { gracefulOffline, lostOffline, presenceMessage } from './transport/presence.js';
export { RetainedGuard } from './transport/retained-guard.js';

// Player profile
export type { LibraryChange, PlayerAdapter } from './player/player-adapter.js';
export type { ContentSyncFeature, ContentSyncSettings, ContentSyncState, ContentSyncStatus, ContentSyncSummary } from './player/content-sync.js';
export type { AudioState, PlaybackState, PlaybackStatus, PlayerState, PlayerStatus, SystemState } from './player/player-state.js';
export { PLAYER_COMMANDS, type PlayerCommandName, type PlayerFeatures } from './player/player-commands.js';
export { PLAYER_PROFILE, createPlayerProfile } from './player/player-profile.js';
export { PlayerClient, type PlayerClientOptions, type PlayerStatusUpdate } from './player/player-client.js';

// Agent
export type { Lifecycle } from './agent/lifecycle.js';
export type { DeviceProfile, ReconcileStep } from './agent/device-profile.js';
export type { AgentApi, AgentHealth, AgentOptions, SystemSectionOptions } from './agent/agent.types.js';
export type { AgentActivity, AgentActivityType } from './agent/agent-activity.js';
export { Agent, createAgent } from './agent/agent.js';
export { strictParams } from './agent/strict-params.js';
export { RebootRequest } from './agent/reboot-request.js';
export {
  buildAgent,
  buildController,
  type BuildAgentOptions,
  type BuildControllerOptions,
  type BuildOptions,
  type ContentSyncContext,
} from './agent/container.js';

// Plugins and DI
export { PLUGIN_API_VERSION, defineKind, definePlugin, type AmoraPlugin, type PluginKind, type PluginKindRole } from './plugins/plugin.js';
export { TOKENS } from './plugins/tokens.js';
export { PluginRegistry, type LoadPluginOptions, type PluginRegistryOptions, type ResolvedKind } from './plugins/loader.js';
export { MiddlewareRefusal, UNAUTHORIZED, type CommandEnvelope, type MessageMiddleware, type RefusedMessage } from './plugins/middleware.js';
export { withDeviceMiddleware } from './plugins/middleware-device-transport.js';
export { withControllerMiddleware } from './plugins/middleware-controller-transport.js';

// Configuration
export { AgentConfigSchema, type AgentConfig, type KindSection } from './config/schema.js';
export type { ContentConfig, ContentSource, RebootConfig } from './config/content-schema.js';
export { parseConfig, type LoadedConfig, type ParseConfigOptions } from './config/parse.js';
export { redactSecrets, redactString } from './config/redact.js';
