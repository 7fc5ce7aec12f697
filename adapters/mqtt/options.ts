import { z } from 'zod';
import { DEFAULT_TOPIC_PREFIX, topicLevelProblem, topicPrefixProblem } from '../../core/internal.js';

/**
 * Options of the `mqtt` transport kind, as written in the config's `transports:` entry (without
 * `kind`). Numbers and booleans also accept their string forms, because `${VAR}` interpolation
 * and AMORA_* overrides produce strings.
 */

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

const toNumber = (value: unknown): unknown =>
  typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
const toBoolean = (value: unknown): unknown => (value === 'true' ? true : value === 'false' ? false : value);

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.preprocess(toNumber, z.number().int().min(min).max(max));
const bool = () => z.preprocess(toBoolean, z.boolean());
const qos = z.preprocess(toNumber, z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'expected QoS 0, 1 or 2' }));

const url = z.string().refine(
  (value) => {
    try {
      return MQTT_PROTOCOLS.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { error: 'expected a broker URL such as mqtt://host:1883, mqtts://host:8883, ws://host/mqtt or wss://host/mqtt' },
);

const topicLevel = (what: string) =>
  z.string().superRefine((value, context) => {
    const problem = topicLevelProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: `${what} ${problem}` });
  });

/** PEM text, or the path of a file holding it (read by the Node plugin module, never in a browser). */
const pemOrPath = z.string().min(1);

export const mqttTlsOptionsSchema = z.strictObject({
  /** CA certificate(s) to trust, instead of the system store. */
  ca: pemOrPath.optional(),
  /** Client certificate for mutual TLS. */
  cert: pemOrPath.optional(),
  /** Client private key for mutual TLS. */
  key: pemOrPath.optional(),
  /** Verify the broker's certificate. Default true; false only for local experiments. */
  rejectUnauthorized: bool().optional(),
});

const qosDefault = () => qos.default(1);

export const mqttOptionsSchema = z.strictObject({
  url: url.default('mqtt://127.0.0.1:1883'),
  /**
   * Brokers to use in turn, the primary first, then standbys: when one cannot be reached or is
   * lost, the next is tried (round robin, with the backoff). Given, it replaces `url`.
   */
  urls: z.array(url).min(1, { error: 'urls needs at least one broker URL' }).optional(),
  /** Stable across restarts so the broker keeps the session; defaults to `amora-{deviceId}` or a random id for controllers. */
  clientId: topicLevel('clientId').max(128).optional(),
  /**
   * The device's identity on this broker, in its topics and default client id (AmoraOS
   * `broker.device_id`). Default: the agent's `device.id`. Device side only.
   */
  deviceId: topicLevel('deviceId').min(1).max(128).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  tls: mqttTlsOptionsSchema.optional(),
  topicPrefix: z
    .string()
    .default(DEFAULT_TOPIC_PREFIX)
    .superRefine((value, context) => {
      const problem = topicPrefixProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: `topicPrefix ${problem}` });
    }),
  protocolVersion: z.preprocess(toNumber, z.union([z.literal(4), z.literal(5)], { error: 'expected protocolVersion 4 (MQTT 3.1.1) or 5' })).default(5),
  keepaliveSeconds: int(0, 65_535).default(30),
  /** How long the broker keeps the session (subscriptions, queued QoS 1 commands) after a disconnect. MQTT 5 only. */
  sessionExpirySeconds: int(0, 4_294_967_295).default(86_400),
  qos: z
    .strictObject({
      state: qosDefault(),
      commands: qosDefault(),
      responses: qosDefault(),
      telemetry: qosDefault(),
      connection: qosDefault(),
    })
    .prefault({}),
  /**
   * Controller side: `separate` publishes commands over a second connection of their own, so the
   * broker's PUBACK of a command and the response that follows never queue behind each other on
   * one socket. On a broker with Nagle's algorithm on (Mosquitto's default `set_tcp_nodelay
   * false`) that is what keeps a round trip under a millisecond instead of 44 ms; pair it with
   * `qos.responses: 0` on the devices (docs/configuration.md). Default `shared`.
   */
  commandConnection: z.enum(['shared', 'separate']).default('shared'),
  /**
   * Controller side: how it hears devices that answer on their own `{p}/devices/{id}/responses`
   * (devices on MQTT 3.1.1, the AmoraOS devices). `device` subscribes that topic before the first
   * command to each device, so a controller hears only the devices it commands; `fleet`
   * subscribes `{p}/devices/+/responses` once, so no command waits on a SUBSCRIBE, but it hears
   * every device's answers to every controller's commands (its ACL must allow the wildcard).
   * Default `device`.
   */
  responseSubscription: z.enum(['device', 'fleet']).default('device'),
  connectTimeoutMs: int(1).default(10_000),
  /** Reconnection backoff; when absent, the agent's RetryPolicy (or the default one) is used. */
  retry: z.strictObject({ initialMs: int(1).default(1_000), maxMs: int(1).default(30_000) }).optional(),
  /** Responses and telemetry kept while offline; the oldest are dropped (and counted) beyond this. */
  outboxSize: int(0).default(1_000),
  /** Largest payload published or accepted. 256 KiB by default, the common cloud limit. */
  maxPayloadBytes: int(1, 268_435_455).default(262_144),
});

/** The `mqtt` kind's options as written in a config. */
export type MqttOptionsInput = z.input<typeof mqttOptionsSchema>;
/** The `mqtt` kind's options after validation and defaults. */
export type MqttOptions = z.output<typeof mqttOptionsSchema>;
export type MqttTlsOptions = z.output<typeof mqttTlsOptionsSchema>;
export type MqttQos = 0 | 1 | 2;

/** The brokers to connect to, in order: `urls` when given, else `url`. */
export function brokerUrls(options: Pick<MqttOptions, 'url' | 'urls'>): readonly string[] {
  return options.urls ?? [options.url];
}

/** Validates options written in code (throws a ZodError naming the bad key). */
export function parseMqttOptions(input: MqttOptionsInput = {}): MqttOptions {
  return mqttOptionsSchema.parse(input);
}
