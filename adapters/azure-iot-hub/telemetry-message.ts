import { TransportError, type JsonValue, type TelemetryBatch } from '../../core/index.js';
import { deviceMessageFor, isDeviceMessage, wireRecord } from '../../core/internal.js';
import { IOT_HUB_LIMITS } from './limits.js';

/** The body of one device-to-cloud message: the same shape the MQTT transport publishes. */
export interface TelemetryBody {
  readonly device_id: string;
  readonly kind: string;
  readonly records: readonly { readonly id?: string; readonly data: JsonValue; readonly timestamp: number }[];
}

/**
 * Encodes a batch as message bodies within IoT Hub's 256 KB limit: one message when it fits,
 * otherwise the batch split in halves until each part fits. A single record over the limit cannot
 * be sent at all and is refused with `payload_too_large`, before anything reaches the hub (which
 * would close the connection).
 */
export function encodeTelemetry(deviceId: string, batch: TelemetryBatch, maxBytes: number = IOT_HUB_LIMITS.messageBytes): string[] {
  // Self-contained messages (the guide's playerStatus) go one per message, as they are (device-message.ts).
  const messages = batch.records.filter((record) => isDeviceMessage(record)).map((record) => JSON.stringify(deviceMessageFor(record, deviceId)));
  for (const text of messages) {
    if (Buffer.byteLength(text, 'utf8') > maxBytes) {
      throw new TransportError('payload_too_large', `a "${batch.kind}" message is larger than the ${maxBytes} byte IoT Hub message limit`, {
        details: { maxPayloadBytes: maxBytes },
      });
    }
  }
  const records = batch.records.filter((record) => !isDeviceMessage(record)).map(wireRecord);
  const bodies: string[] = [...messages];
  if (records.length === 0) return bodies;
  const encode = (part: TelemetryBody['records']): void => {
    const text = JSON.stringify({ device_id: deviceId, kind: batch.kind, records: part } satisfies TelemetryBody);
    if (Buffer.byteLength(text, 'utf8') <= maxBytes) {
      bodies.push(text);
      return;
    }
    if (part.length <= 1) {
      throw new TransportError('payload_too_large', `a "${batch.kind}" telemetry record is larger than the ${maxBytes} byte IoT Hub message limit`, {
        details: { maxPayloadBytes: maxBytes },
      });
    }
    const half = Math.ceil(part.length / 2);
    encode(part.slice(0, half));
    encode(part.slice(half));
  };
  encode(records);
  return bodies;
}
