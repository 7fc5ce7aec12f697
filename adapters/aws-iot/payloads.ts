import {
  encodePayload,
  encodeResponseOrError,
  TransportError,
  type CommandResponse,
  type Logger,
  type TelemetryBatch,
} from '../../core/index.js';
import { wireRecord } from '../../core/internal.js';

/** Largest MQTT payload AWS IoT Core accepts. */
export const MQTT_PAYLOAD_LIMIT_BYTES = 128 * 1024;

const encoder = new TextEncoder();

/**
 * A command response as JSON; one too large for AWS IoT becomes an error response (core's
 * encodeResponseOrError), so the caller is told instead of waiting for an answer that can never arrive.
 */
export function encodeResponse(response: CommandResponse, logger: Logger): string {
  return encodeResponseOrError(response, (answer) => encodePayload(answer, MQTT_PAYLOAD_LIMIT_BYTES, 'command response'), logger);
}

/**
 * The telemetry messages for one batch: as few as possible, each within AWS IoT's payload limit.
 * @throws TransportError `payload_too_large` when a single record alone exceeds it.
 */
export function telemetryPayloads(deviceId: string, batch: TelemetryBatch): string[] {
  const head = `{"device_id":${JSON.stringify(deviceId)},"kind":${JSON.stringify(batch.kind)},"records":[`;
  const overhead = encoder.encode(head).byteLength + 2; // and "]}"
  const payloads: string[] = [];
  let parts: string[] = [];
  let size = overhead;
  for (const record of batch.records) {
    const part = JSON.stringify(wireRecord(record));
    const partBytes = encoder.encode(part).byteLength;
    if (overhead + partBytes > MQTT_PAYLOAD_LIMIT_BYTES) {
      throw new TransportError('payload_too_large', `a telemetry record of kind "${batch.kind}" is over AWS IoT's ${MQTT_PAYLOAD_LIMIT_BYTES}-byte limit`, {
        details: { bytes: overhead + partBytes, maxPayloadBytes: MQTT_PAYLOAD_LIMIT_BYTES },
      });
    }
    const separator = parts.length > 0 ? 1 : 0;
    if (size + separator + partBytes > MQTT_PAYLOAD_LIMIT_BYTES) {
      payloads.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = overhead;
    }
    size += (parts.length > 0 ? 1 : 0) + partBytes;
    parts.push(part);
  }
  if (parts.length > 0) payloads.push(`${head}${parts.join(',')}]}`);
  return payloads;
}
