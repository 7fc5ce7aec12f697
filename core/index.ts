/**
 * The public API of Amora Sync core. Browser-safe: nothing here imports Node built-ins
 * (Node-only helpers are in core/node.ts).
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
export type { DeviceStateStore } from './state/device-state.types.js';
export { DeviceState, INITIAL_DEVICE_STATE } from './state/device-state.js';
export { applyMergePatch, assertSafePatch, createMergePatch, deepEqual, deepFreeze } from './state/merge-patch.js';
export { computeDelta } from './state/state-delta.js';
export type { DeviceStorage } from './state/device-storage.js';
export { VERSION_LEASE, type VersionStore } from './state/version-store.js';
export { assertWithinDesiredLimits, DEFAULT_DESIRED_LIMITS, type DesiredLimits } from './state/desired-limits.js';
export { findJsonProblem, isUnsafeKey, type JsonProblem, type JsonProblemKind } from './state/json-guard.js';

// Commands
export {
  COMMAND_ERROR_STATUS,
  defineCommand,
  type CommandContext,
  type CommandErrorCode,
  type CommandRequest,
  type CommandResponse,
  type CommandSpec,
} from './commands/types.js';
export type { CommandDispatcherApi } from './commands/dispatcher.types.js';
export { CommandDispatcher, commandErrorStatus, type CommandDispatcherOptions } from './commands/dispatcher.js';
export { decodeCommand, type DecodeLimits, type DecodeResult } from './commands/decode.js';
export { commandEnvelopeSchema } from './commands/command-envelope.js';
export { PROTOCOL_MESSAGES, protocolJsonSchema, renderProtocolSchemas, type ProtocolMessageTitle } from './protocol/protocol-schemas.js';
export { DedupeCache, type DedupeCacheOptions } from './commands/dedupe-cache.js';

// Telemetry
export type { TelemetryBatch, TelemetryRecord } from './telemetry/types.js';
export type { EmitOptions, TelemetryPipelineApi } from './telemetry/pipeline.types.js';
export { TelemetryPipeline, type TelemetryPipelineOptions } from './telemetry/pipeline.js';
export { Outbox, type DrainResult, type OutboxOptions } from './telemetry/outbox.js';
export type { OutboxStore, StoredOutboxItem } from './telemetry/outbox-store.js';
export { wireRecord } from './telemetry/wire-record.js';
export { DropLog, type DropLogOptions } from './telemetry/drop-log.js';
export { deviceMessageFor, isDeviceMessage } from './telemetry/device-message.js';
export { RateLimiter, rateLimitTelemetry, type RateLimiterOptions, type TelemetryRateLimitOptions } from './telemetry/rate-limit.js';

// Transports
export type { ConnectionState, ConnectionStatus, PresenceState } from './transport/connection-status.js';
export type { DesiredUpdate, DeviceTransport, InboundCommand, TransportCapabilities } from './transport/device-transport.js';
export type { ControllerTransport, DeviceInfo, InvokeOptions } from './transport/controller-transport.js';
export type { RetryPolicy } from './transport/retry-policy.js';
export { ExponentialBackoffRetryPolicy, type ExponentialBackoffOptions } from './transport/exponential-backoff.js';
export {
  commandResponseSchema,
  connectionMessageSchema,
  deviceStateMessageSchema,
  jsonObjectSchema,
  telemetryMessageSchema,
  type ConnectionMessage,
  type OfflineReason,
  type TelemetryMessage,
} from './transport/wire-messages.js';
export { encodePayload, readPayload } from './transport/payload-json.js';
export { DEFAULT_TOPIC_PREFIX, topicLevelProblem, topicPrefixProblem } from './transport/topic-levels.js';
export { hasWildcard, topicMatches } from './transport/topic-match.js';
export { deviceDirectory, type PresenceSighting } from './transport/device-directory.js';
export { ConnectionStatusKeeper, sameStatus } from './transport/connection-status-keeper.js';
export { ReconnectSchedule } from './transport/reconnect-schedule.js';
export { ReconnectingLink, type LinkSession, type ReconnectingLinkDeps, type ReconnectingLinkOptions } from './transport/reconnecting-link.js';
export { BufferedSender, type BufferedSenderOptions } from './transport/buffered-sender.js';
export { encodeResponseOrError } from './transport/response-fallback.js';
export { gracefulOffline, lostOffline, presenceMessage } from './transport/presence.js';
export { RetainedGuard } from './transport/retained-guard.js';

// Player profile
export type { LibraryChange, PlayerAdapter } from './player/player-adapter.js';
export type { ContentSyncFeature, ContentSyncSettings, ContentSyncState, ContentSyncStatus, ContentSyncSummary } from './player/content-sync.js';
export type { AudioState, PlaybackState, PlaybackStatus, PlayerState, PlayerStatus, SystemState } from './player/player-state.js';
export { PLAYER_COMMANDS, createPlayerCommands, playerStateToJson, type PlayerCommandName, type PlayerFeatures } from './player/player-commands.js';
export { playerAvailability } from './player/player-availability.js';
export { PLAYER_PROFILE, createPlayerProfile } from './player/player-profile.js';
export { reconcilePlayer } from './player/player-reconciler.js';
export { PlayerClient, type PlayerClientOptions, type PlayerStatusUpdate } from './player/player-client.js';

// Agent
export type { Lifecycle } from './agent/lifecycle.js';
export type { DeviceProfile, ReconcileStep } from './agent/device-profile.js';
export type { AgentApi, AgentHealth, AgentOptions, SystemSectionOptions } from './agent/agent.types.js';
export type { AgentActivity, AgentActivityType } from './agent/agent-activity.js';
export { Agent, createAgent } from './agent/agent.js';
export {
  LifecycleManager,
  type ComponentPhase,
  type ComponentStatus,
  type LifecycleManagerOptions,
  type LifecycleStartResult,
} from './agent/lifecycle-manager.js';
export { strictParams } from './agent/strict-params.js';
export { RebootRequest } from './agent/reboot-request.js';
export { AGENT_TOKENS, agentModule, agentOptionsFrom } from './agent/agent-module.js';
export {
  DEFAULT_PLAYER_KIND,
  buildAgent,
  buildController,
  instanceIds,
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
export { AgentConfigSchema, CORE_TRANSPORT_KEYS, DEVICE_ID_PATTERN, KindSectionSchema, LOG_FORMATS, LOG_LEVELS, type AgentConfig, type KindSection } from './config/schema.js';
export {
  ContentConfigSchema,
  ContentSourceSchema,
  RebootConfigSchema,
  type ContentConfig,
  type ContentSource,
  type RebootConfig,
} from './config/content-schema.js';
export { parseConfig, zodToConfigError, type LoadedConfig, type ParseConfigOptions } from './config/parse.js';
export { interpolateEnv, type EnvRecord } from './config/interpolate.js';
export { ENV_SHORTCUTS, applyEnvOverrides } from './config/env-overrides.js';
export { fromAmoraOs, isAmoraOsLayout } from './config/amoraos.js';
export { REDACTED, SECRET_KEY_PATTERN, redactSecrets, redactString } from './config/redact.js';
export { describeIssue, describeZodError, formatKeyPath } from './config/zod-issues.js';
export { resolveOptionPaths } from './config/option-paths.js';
