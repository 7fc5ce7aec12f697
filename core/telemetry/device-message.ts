import { isJsonObject, type JsonObject } from '../state/json.js';
import type { TelemetryRecord } from './types.js';

/**
 * A telemetry record that is a whole message of its own: data `{messageType, deviceId, ...}` whose
 * `messageType` is the record's kind, such as the AmoraSDK guide's `playerStatus`. Transports that
 * carry one message per event (IoT Hub device-to-cloud messages) send it as the message body, so
 * the guide's clients read `body.messageType` and `body.deviceId` as written.
 */
export function isDeviceMessage(record: TelemetryRecord): boolean {
  return isJsonObject(record.data) && record.data['messageType'] === record.kind && typeof record.data['deviceId'] === 'string';
}

/** The message with `deviceId` set to the device's identity on the transport that sends it. */
export function deviceMessageFor(record: TelemetryRecord, deviceId: string): JsonObject {
  return { ...(record.data as JsonObject), deviceId };
}
