import type { CommandResponse } from '../../core/commands/types.js';
import { TransportError } from '../../core/errors.js';
import type { Logger } from '../../core/logging/logger.js';
import type { TelemetryBatch } from '../../core/telemetry/types.js';
import { wireRecord } from '../../core/telemetry/wire-record.js';

/** Largest MQTT payload AWS IoT Core accepts. */
export const MQTT_PAYLOAD_LIMIT_BYTES = 128 * 1024;

const encoder = new TextEncoder();

function bytes(text: string): number {
  // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  return text.length * 3 <= MQTT_PAYLOAD_LIMIT_BYTES ? text.length : encoder.encode(text).byteLength;
}

/**
 * A command response as JSON; one too large for AWS IoT becomes an error response, so the
 * caller is told instead of waiting for an answer that can never arrive.
 */
export function encodeResponse(response: CommandResponse, logger: Logger): string {
  const text = JSON.stringify(response);
  const size = bytes(text);
  if (size <= MQTT_PAYLOAD_LIMIT_BYTES) return text;
  logger.warn({ commandId: response.command_id, bytes: size }, 'command response too large for AWS IoT; answering with an error');
  return JSON.stringify({
    command_id: response.command_id,
    command: response.command,
    success: false,
    error: { code: 'payload_too_large', message: `response is ${size} bytes, more than AWS IoT's ${MQTT_PAYLOAD_LIMIT_BYTES}`, details: { bytes: size } },
    timestamp: response.timestamp,
  });
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
