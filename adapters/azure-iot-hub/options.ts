import { z } from 'zod';

/**
 * Options of the `azure-iot-hub` transport kind, as written in the config's `transports:` entry
 * (without `kind`). One entry serves both ends: `connectionString` (a device's) for the agent,
 * `serviceConnectionString` (a policy's) for controllers (`amora ctl`, apps). Numbers also accept
 * their string forms, because `${VAR}` interpolation and AMORA_* overrides produce strings.
 */

/** Where the device connection string comes from when the config has none (as in the AmoraSDK guide). */
export const DEVICE_CONNECTION_STRING_ENV = 'AMORA_DEVICE_CONNECTION_STRING';
/** Likewise for the service connection string of a controller. */
export const SERVICE_CONNECTION_STRING_ENV = 'AMORA_SERVICE_CONNECTION_STRING';
/** Where a controller finds the hub's Event Hub-compatible endpoint when the config names none. */
export const EVENTHUB_CONNECTION_STRING_ENV = 'AMORA_EVENTHUB_CONNECTION_STRING';

const toNumber = (value: unknown): unknown =>
  typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.preprocess(toNumber, z.number().int().min(min).max(max));

/** `${VAR:-}` interpolates to '': an empty string means "not given" (then the env fallback applies). */
const emptyAsAbsent = (value: unknown): unknown => (value === '' ? undefined : value);

/** PEM text, or the path of a file holding it. */
const pemOrPath = z.string().min(1);

const connectionString = (what: string) =>
  z.preprocess(
    emptyAsAbsent,
    z
      .string()
      .refine((value) => /(^|;)\s*HostName=/.test(value), { error: `expected an IoT Hub ${what} connection string (HostName=…;…)` })
      .optional(),
  );

export const azureIotHubOptionsSchema = z
  .strictObject({
    /** Device connection string: `HostName=…;DeviceId=…;SharedAccessKey=…` (or `x509=true`). Default: env AMORA_DEVICE_CONNECTION_STRING. */
    connectionString: connectionString('device'),
    /** MQTT over TLS (8883) or MQTT over WebSocket (443, for networks that only allow HTTPS). */
    transport: z.enum(['mqtt', 'mqtt-ws']).default('mqtt'),
    /** CA certificate(s) to trust instead of the system store (private hubs, gateways, the emulator). */
    ca: z.preprocess(emptyAsAbsent, pemOrPath.optional()),
    /** Client certificate and key for X.509 devices (connection string with `x509=true`). */
    x509: z.strictObject({ cert: pemOrPath, key: pemOrPath, passphrase: z.string().optional() }).optional(),
    /** Direct methods are answered (AmoraOS `iot.enable_direct_methods`). Default true. */
    directMethods: z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean()).default(true),
    /** The device twin is used: desired properties in, reported properties out (AmoraOS `iot.enable_device_twin`). Default true. */
    twin: z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean()).default(true),
    /** MQTT keep-alive; IoT Hub drops a client after 1.5 times this without traffic. Default 60. */
    keepaliveSeconds: int(5, 1_740).default(60),
    /** Lifetime of the SAS tokens made from a device key, and how long before expiry they are renewed. */
    sasTokenTtlSeconds: int(60).default(3_600),
    sasRenewalMarginSeconds: int(10).default(900),
    /** One connection attempt (TLS + MQTT CONNECT) may take this long. */
    connectTimeoutMs: int(100).default(30_000),
    /** A twin GET or reported patch may take this long before it counts as failed. */
    twinTimeoutMs: int(100).default(10_000),
    /** Attempts of a reported-state patch the hub throttles (429) before giving up until the next change. */
    throttledRetries: int(0, 20).default(5),
    /** Reconnection backoff; when absent, the agent's RetryPolicy (or the default one) is used. */
    retry: z.strictObject({ initialMs: int(1).default(1_000), maxMs: int(1).default(60_000) }).optional(),
    /** Telemetry kept while offline; the oldest are dropped (and counted) beyond this. */
    outboxSize: int(0).default(1_000),

    /** Controller side: a policy connection string (`HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`). Default: env AMORA_SERVICE_CONNECTION_STRING. */
    serviceConnectionString: connectionString('service'),
    /** How often the controller re-reads twins and connection states for `state$()` / `connection$()`. */
    refreshIntervalMs: int(100).default(5_000),
    /** How long a direct method waits for an offline device to connect before answering 404. */
    methodConnectTimeoutSeconds: int(0, 300).default(0),
    /**
     * Controller side: the hub's Event Hub-compatible endpoint (`Endpoint=sb://…;EntityPath=…`).
     * With it `state$()`, `connection$()` and `devices$()` are pushed from routed twin change,
     * connection state and telemetry events; without it they poll. Default: env AMORA_EVENTHUB_CONNECTION_STRING.
     */
    eventHubConnectionString: z.preprocess(
      emptyAsAbsent,
      z
        .string()
        .refine((value) => /(^|;)\s*Endpoint=sb:\/\//i.test(value), { error: 'expected an Event Hub connection string (Endpoint=sb://…;…)' })
        .optional(),
    ),
    /** The consumer group the controller reads with; give each reader its own in production. */
    eventHubConsumerGroup: z.string().min(1).default('$Default'),
    /** A (re)started controller reads events enqueued this long before it started; versions keep old ones from counting as current. */
    eventHubResumeOverlapMs: int(0).default(60_000),
  })
  .refine((options) => options.sasRenewalMarginSeconds < options.sasTokenTtlSeconds, {
    error: 'sasRenewalMarginSeconds must be less than sasTokenTtlSeconds',
    path: ['sasRenewalMarginSeconds'],
  });

/** The kind's options as written in a config. */
export type AzureIotHubOptionsInput = z.input<typeof azureIotHubOptionsSchema>;
/** The kind's options after validation and defaults. */
export type AzureIotHubOptions = z.output<typeof azureIotHubOptionsSchema>;

/** Validates options written in code (throws a ZodError naming the bad key). */
export function parseAzureIotHubOptions(input: AzureIotHubOptionsInput = {}): AzureIotHubOptions {
  return azureIotHubOptionsSchema.parse(input);
}
