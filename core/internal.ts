/**
 * What our own adapters, players, content sync and CLI share from core beyond the public API:
 * wire schemas, topic rules, config plumbing. The package does not export it (package.json
 * `exports` has no entry here), so it can change without breaking an integrator or a plugin;
 * plugins/template and the examples use core/index.ts and core/node.ts only.
 * Browser-safe like core/index.ts (the MQTT controller imports it).
 */

// State
export { computeDelta } from './state/state-delta.js';
export { deepEqual } from './state/merge-patch.js';
export { StateText } from './state/state-text.js';

// Commands and protocol
export { commandErrorStatus } from './commands/dispatcher.js';
export { renderProtocolSchemas } from './protocol/protocol-schemas.js';

// Telemetry on the wire
export { wireRecord } from './telemetry/wire-record.js';
export { deviceMessageFor, isDeviceMessage } from './telemetry/device-message.js';

// Commands: many per-command deadlines on one timer; a controller's calls waiting for answers
export { Deadlines } from './commands/deadlines.js';
export { PendingCommands } from './commands/pending-commands.js';
export { closeServer, listenOn } from './transport/server-listen.js';

// Transports: the generic wire format, topic rules, presence tracking
export {
  commandResponseSchema,
  connectionMessageSchema,
  parsedDeviceStateMessageSchema,
  parsedTelemetryMessageSchema,
  readCommandResponse,
  telemetryMessageSchema,
} from './transport/wire-messages.js';
export { DEFAULT_TOPIC_PREFIX, topicLevelProblem, topicPrefixProblem } from './transport/topic-levels.js';
export { hasWildcard, topicMatches } from './transport/topic-match.js';
export { deviceDirectory, type PresenceSighting } from './transport/device-directory.js';
export { presenceOf } from './transport/presence.js';
export { SharedStreams } from './transport/shared-streams.js';
export { sizedPayload } from './transport/payload-json.js';
export { ResponseSubscriptions } from './transport/response-subscriptions.js';
export type { ResolvedTls } from './transport/resolved-tls.js';

// Agent building (the CLI)
export { instanceIds } from './agent/container.js';

// Configuration plumbing (the CLI, content sync)
export { CORE_TRANSPORT_KEYS } from './config/schema.js';
export { ContentConfigSchema, ContentSourceSchema } from './config/content-schema.js';
export { interpolateEnv, type EnvRecord } from './config/interpolate.js';
export { ENV_SHORTCUTS, applyEnvOverrides } from './config/env-overrides.js';
export { fromAmoraOs, isAmoraOsLayout } from './config/amoraos.js';
export { describeIssue, describeZodError } from './config/zod-issues.js';
export { resolveOptionPaths } from './config/option-paths.js';
