import { isJsonObject, type JsonObject, type JsonValue, type TelemetryMessage } from '../../core/index.js';
import { telemetryMessageSchema } from '../../core/internal.js';
import { withoutDollarKeys } from './twin-members.js';

/**
 * What a controller learns from one event of the hub's Event Hub-compatible endpoint, read from
 * the system properties and application properties IoT Hub sets on routed messages:
 * `iothub-message-source` tells device messages (`Telemetry`) from twin change events
 * (`twinChangeEvents`, schema `twinChangeNotification`) and connection state events
 * (`deviceConnectionStateEvents`, `opType` `deviceConnected`/`deviceDisconnected`).
 */
export type HubEvent =
  | { readonly kind: 'telemetry'; readonly deviceId: string; readonly body: unknown; readonly at: number }
  | {
      readonly kind: 'twinChange';
      readonly deviceId: string;
      readonly section: 'reported' | 'desired';
      /** The patch without `$` keys (`null` deletes). */
      readonly patch: JsonObject;
      /** The section's `$version` after the change. */
      readonly version: number;
      readonly at: number;
    }
  | {
      readonly kind: 'connection';
      readonly deviceId: string;
      readonly connected: boolean;
      /** IoT Hub's ordering key: fixed-width, compares in order as a string. */
      readonly sequenceNumber: string;
      readonly at: number;
    };

/**
 * One event as read from the endpoint: AMQP message annotations (`x-opt-*`, `iothub-*`) as
 * `systemProperties`, application properties as `properties`. `@azure/event-hubs`'
 * `ReceivedEventData` has this shape too.
 */
export interface RoutedEventData {
  readonly body: unknown;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly systemProperties?: Readonly<Record<string, unknown>>;
  readonly enqueuedTimeUtc: Date;
}

/** Decodes a received event; undefined for what is none of these (or lacks a device id). */
export function decodeHubEvent(event: RoutedEventData): HubEvent | undefined {
  const system = event.systemProperties ?? {};
  const properties = event.properties ?? {};
  const source = String(system['iothub-message-source'] ?? '');
  const deviceId = stringOf(system['iothub-connection-device-id']) ?? stringOf(properties['deviceId']);
  if (!deviceId) return undefined;
  const at = timeOf(properties['operationTimestamp']) ?? timeOf(system['iothub-enqueuedtime']) ?? event.enqueuedTimeUtc.getTime();
  const body = parseBody(event.body);
  switch (source.toLowerCase()) {
    case 'telemetry':
      return { kind: 'telemetry', deviceId, body, at };
    case 'twinchangeevents': {
      if (!isJsonObject(body) || !isJsonObject(body['properties'])) return undefined;
      const sections = body['properties'];
      const section = isJsonObject(sections['reported']) ? 'reported' : isJsonObject(sections['desired']) ? 'desired' : undefined;
      if (!section) return undefined;
      const content = sections[section] as JsonObject;
      const version = Number(content['$version']);
      if (!Number.isSafeInteger(version)) return undefined;
      return { kind: 'twinChange', deviceId, section, patch: withoutDollarKeys(content), version, at };
    }
    case 'deviceconnectionstateevents': {
      const opType = properties['opType'];
      if (opType !== 'deviceConnected' && opType !== 'deviceDisconnected') return undefined;
      const sequenceNumber = isJsonObject(body) && typeof body['sequenceNumber'] === 'string' ? body['sequenceNumber'] : '';
      return { kind: 'connection', deviceId, connected: opType === 'deviceConnected', sequenceNumber, at };
    }
    default:
      return undefined;
  }
}

/** A Buffer or string body is parsed when it is JSON (the SDK hands over parsed JSON already). */
function parseBody(body: unknown): JsonValue | unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined;
  if (text === undefined) return body;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return body;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function timeOf(value: unknown): number | undefined {
  const time = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value instanceof Date ? value.getTime() : Number.NaN;
  return Number.isFinite(time) ? time : undefined;
}

/**
 * A device-to-cloud message as a telemetry batch: the body the device transport sends
 * (`{device_id, kind, records}`), or a self-contained message (the guide's playerStatus,
 * `{messageType, deviceId, ...}`) as one record of kind `messageType`, timed when the hub took it.
 * Undefined for a body that is neither.
 */
export function telemetryOfEvent(event: Extract<HubEvent, { kind: 'telemetry' }>): TelemetryMessage | undefined {
  const { body } = event;
  if (!isJsonObject(body)) return undefined;
  if (typeof body['messageType'] === 'string') return { device_id: event.deviceId, kind: body['messageType'], records: [{ data: body, timestamp: event.at }] };
  const batch = telemetryMessageSchema.safeParse(body);
  return batch.success && batch.data.device_id === event.deviceId ? batch.data : undefined;
}
