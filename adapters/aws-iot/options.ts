import { z } from 'zod';
import {
  isJsonObject,
} from '../../core/index.js';
import { isValidShadowName, isValidThingName } from './shadow-topics.js';
import { DEFAULT_TOPIC_PREFIX, topicPrefixProblem } from './topics.js';

/**
 * Options of the `aws-iot` transport kind (the config's `transports:` entry without `kind`).
 *
 * The ANC guide's environment variables fill what the entry leaves out: `IOT_ENDPOINT`,
 * `IOT_THING_NAME`, `IOT_CERT_PATH`, `IOT_KEY_PATH`, `IOT_ROOT_CA_PATH`, `IOT_PORT` and
 * `IOT_KEEP_ALIVE`; the config file wins where both are set. Numbers and booleans also accept
 * their string forms (from `${VAR}` interpolation and the environment).
 */

/** The ANC guide's environment variables and the option each fills. */
export const ANC_ENVIRONMENT = {
  IOT_ENDPOINT: 'endpoint',
  IOT_THING_NAME: 'thingName',
  IOT_CERT_PATH: 'certPath',
  IOT_KEY_PATH: 'keyPath',
  IOT_ROOT_CA_PATH: 'caPath',
  IOT_PORT: 'port',
  IOT_KEEP_ALIVE: 'keepAliveSeconds',
} as const;

/** Device topics Amora itself uses; telemetry cannot take them over. */
const RESERVED_DEVICE_CHANNELS: readonly string[] = ['commands', 'responses', 'connection'];

const toNumber = (value: unknown): unknown =>
  typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
const toBoolean = (value: unknown): unknown => (value === 'true' ? true : value === 'false' ? false : value);

/** `${VAR:-}` interpolates to '': an optional option left empty is absent. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.preprocess(toNumber, z.number().int().min(min).max(max));
const bool = () => z.preprocess(toBoolean, z.boolean());
/** AWS IoT Core has no QoS 2. */
const qos = () => z.preprocess(toNumber, z.union([z.literal(0), z.literal(1)], { error: 'expected QoS 0 or 1 (AWS IoT Core has no QoS 2)' })).default(1);

const thingName = z.string().refine(isValidThingName, { error: "expected a thing name of 1-128 letters, digits, ':', '_' or '-'" });
const shadowName = z.string().refine(isValidShadowName, { error: "expected a shadow name of 1-64 letters, digits, ':', '_' or '-'" });
const clientId = z.string().min(1).max(128).refine((value) => !/[+#/]/.test(value), { error: "expected a client id without '+', '#' or '/'" });

const topicPrefix = z
  .string()
  .default(DEFAULT_TOPIC_PREFIX)
  .superRefine((value, context) => {
    const problem = topicPrefixProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: `topicPrefix ${problem}` });
  });

const awsIotObjectSchema = z.strictObject({
  /** The account's device data endpoint (`xxxx-ats.iot.{region}.amazonaws.com`) or the emulator's host. */
  endpoint: z.string({ error: 'expected endpoint (or IOT_ENDPOINT): the AWS IoT device data endpoint host' }).min(1),
  port: int(1, 65_535).default(8883),
  /** The thing (and classic shadow) this device is; defaults to the agent's device id. */
  thingName: optional(thingName),
  /** MQTT client id; defaults to the thing name (what the usual IoT policy requires). */
  clientId: optional(clientId),
  certPath: z.string({ error: 'expected certPath (or IOT_CERT_PATH): the device certificate PEM file' }).min(1),
  keyPath: z.string({ error: 'expected keyPath (or IOT_KEY_PATH): the device private key PEM file' }).min(1),
  /** Amazon Root CA 1 (or the emulator's CA); the system trust store when absent. */
  caPath: optional(z.string().min(1)),
  /** AWS IoT accepts 30-1200 s; the emulator also accepts less. */
  keepAliveSeconds: int(1, 1200).default(30),
  /** False keeps the session an hour on AWS, so QoS 1 commands sent while offline still arrive. */
  cleanSession: bool().default(false),
  /**
   * The client that carries MQTT: `mqtt` (mqtt.js, sockets with TCP_NODELAY; the default) or
   * `sdk` (aws-iot-device-sdk-v2 on aws-crt, an optional package to install; its sockets run with
   * Nagle's algorithm, so each QoS 1 exchange may wait ~40 ms for a delayed ACK).
   */
  link: z.enum(['mqtt', 'sdk']).default('mqtt'),
  /** Use this named shadow instead of the classic one. */
  shadowName: optional(shadowName),
  topicPrefix,
  qos: z.strictObject({ commands: qos(), responses: qos(), telemetry: qos(), connection: qos() }).prefault({}),
  /** Retain the presence message (needs iot:RetainPublish in the policy); controllers see it at once. */
  retainPresence: bool().default(true),
  shadow: z
    .strictObject({
      /** How long a shadow GET or UPDATE waits for accepted/rejected. */
      requestTimeoutMs: int(1).default(10_000),
      /** Attempts after a 409 version conflict (re-GET, recompute, resend) before giving up. */
      conflictRetries: int(0, 20).default(5),
      /** Top-level state sections kept out of the shadow and sent as telemetry (kind `state-{section}`) instead. */
      offloadSections: z.array(z.string().min(1)).default([]),
      /** The state limit enforced locally before sending; AWS's default quota is 8 KiB. */
      maxStateBytes: int(1, 65_536).default(8_192),
    })
    .prefault({}),
  telemetry: z
    .strictObject({
      /** Publishes per second over the connection, all messages counted; AWS IoT discards beyond 100. */
      maxPublishesPerSecond: int(1, 100).default(50),
      /** Responses and telemetry batches kept while offline; the oldest are dropped (and counted) beyond. */
      maxBufferSize: int(0).default(1_000),
      /**
       * Telemetry kinds sent on the device's own topic `{p}/devices/{thing}/{kind}` instead of
       * `{p}/telemetry/{thing}/{kind}` (the ANC guide's `anc/devices/{id}/emergency` and `/status`).
       */
      deviceTopics: z
        .array(
          z.string().refine((kind) => !RESERVED_DEVICE_CHANNELS.includes(kind) && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(kind), {
            error: `expected a telemetry kind (letters, digits, '_', '.', '-') other than ${RESERVED_DEVICE_CHANNELS.join(', ')}`,
          }),
        )
        .default([]),
    })
    .prefault({}),
  /** Deadline of connect, subscribe and QoS 1 publish acknowledgements. */
  operationTimeoutMs: int(100).default(10_000),
  /** Reconnection backoff; when absent, the agent's RetryPolicy (or the default one) is used. */
  retry: z.strictObject({ initialMs: int(1).default(1_000), maxMs: int(1).default(30_000) }).optional(),
  /** Controller side (apps, backends): the data-plane REST API and its credentials. */
  controller: z
    .strictObject({
      /** Region for SigV4; default from AWS_REGION, else us-east-1. */
      region: optional(z.string().min(1)),
      /** Data-plane URL; default `https://{endpoint}` (port 443). The emulator prints its own. */
      httpsEndpoint: optional(z.url({ protocol: /^https$/, error: 'expected an https:// URL' })),
      /** Static credentials; absent means the AWS SDK's default chain (env, profile, role). */
      credentials: z
        .strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().optional() })
        .optional(),
      /** How invoke() publishes commands: over the MQTT connection (default) or the REST Publish API. */
      commandPublish: z.enum(['mqtt', 'http']).default('mqtt'),
      /**
       * Which responses topics invoke() listens on: each device's, subscribed before its first
       * command (`device`, default), or every device's through one wildcard (`fleet`: no SUBSCRIBE,
       * a round trip to AWS IoT Core, per new device; the policy must allow the wildcard, and the
       * answers of every device to every controller arrive).
       */
      responseSubscription: z.enum(['device', 'fleet']).default('device'),
    })
    .prefault({}),
});

/** Fills options the entry leaves out from the ANC guide's environment variables. */
export function withAncEnvironment(raw: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (raw !== undefined && !isJsonObject(raw)) return raw;
  const filled: Record<string, unknown> = { ...raw };
  for (const [variable, option] of Object.entries(ANC_ENVIRONMENT)) {
    const value = env[variable];
    if (filled[option] === undefined && value !== undefined && value !== '') filled[option] = value;
  }
  return filled;
}

/** The `aws-iot` kind's options schema (reads the process environment; Node only). */
export const awsIotOptionsSchema = z.preprocess((raw) => withAncEnvironment(raw, process.env), awsIotObjectSchema);

/** The options as written in a config. */
export type AwsIotOptionsInput = z.input<typeof awsIotObjectSchema>;
/** The options after validation and defaults. */
export type AwsIotOptions = z.output<typeof awsIotObjectSchema>;

/** Validates options written in code, without reading the environment. */
export function parseAwsIotOptions(input: AwsIotOptionsInput): AwsIotOptions {
  return awsIotObjectSchema.parse(input);
}
