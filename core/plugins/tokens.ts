/**
 * DI tokens. `Symbol.for` so that a plugin bundling its own copy of core still matches ours.
 * Each token has an interface of the related name (Theia's contribution pattern).
 */
export const TOKENS = {
  /** The validated AgentConfig. */
  Config: Symbol.for('amora.config'),
  /** The validated options of the plugin kind instance being built (bound in its child container). */
  KindOptions: Symbol.for('amora.kind.options'),
  /** The instance name of the plugin kind instance being built, e.g. "mqtt#2". */
  InstanceId: Symbol.for('amora.kind.instance-id'),
  /** The device id the agent runs as. */
  DeviceId: Symbol.for('amora.device-id'),
  Logger: Symbol.for('amora.logger'),
  Clock: Symbol.for('amora.clock'),
  RetryPolicy: Symbol.for('amora.retry-policy'),
  DeviceTransport: Symbol.for('amora.transport.device'),
  ControllerTransport: Symbol.for('amora.transport.controller'),
  PlayerAdapter: Symbol.for('amora.player'),
  DeviceProfile: Symbol.for('amora.device-profile'),
  DeviceState: Symbol.for('amora.device-state'),
  /** The optional DeviceStorage: state version and outboxes kept across restarts (a state directory). */
  DeviceStorage: Symbol.for('amora.device-storage'),
  /** The optional VersionStore a DeviceState built by DI keeps its version in. */
  VersionStore: Symbol.for('amora.version-store'),
  /** Optional Partial<DesiredLimits> of a DeviceState built by DI. */
  DesiredLimits: Symbol.for('amora.desired-limits'),
  CommandDispatcher: Symbol.for('amora.command-dispatcher'),
  TelemetryPipeline: Symbol.for('amora.telemetry'),
  Agent: Symbol.for('amora.agent'),
  /** A MessageMiddleware, bound by each `middleware` kind instance. */
  MessageMiddleware: Symbol.for('amora.middleware'),
} as const;
