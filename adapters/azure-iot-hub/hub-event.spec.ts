import type { ReceivedEventData } from '@azure/event-hubs';
import { describe, expect, it } from 'vitest';
import { decodeHubEvent } from './hub-event.js';

const received = (fields: Partial<ReceivedEventData>): ReceivedEventData =>
  ({ body: undefined, enqueuedTimeUtc: new Date(1_000), offset: '0', sequenceNumber: 0, partitionKey: null, properties: {}, systemProperties: {}, getRawAmqpMessage: () => ({}) as never, ...fields }) as ReceivedEventData;

describe('decodeHubEvent', () => {
  it('reads a twin change notification as IoT Hub routes it', () => {
    const event = received({
      body: { version: 7, properties: { reported: { audio: { volume: 3 }, $metadata: {}, $version: 4 } } },
      properties: { hubName: 'h', deviceId: 'p1', opType: 'updateTwin', 'iothub-message-schema': 'twinChangeNotification', operationTimestamp: '2026-01-01T00:00:00Z' },
      systemProperties: { 'iothub-message-source': 'twinChangeEvents', 'iothub-connection-device-id': 'p1' },
    });
    expect(decodeHubEvent(event)).toEqual({ kind: 'twinChange', deviceId: 'p1', section: 'reported', patch: { audio: { volume: 3 } }, version: 4, at: Date.parse('2026-01-01T00:00:00Z') });
  });

  it('reads connection state events and device messages, and skips what it does not know', () => {
    const connected = received({
      body: { sequenceNumber: '0A' },
      properties: { deviceId: 'p1', opType: 'deviceDisconnected', 'iothub-message-schema': 'deviceConnectionStateNotification' },
      systemProperties: { 'iothub-message-source': 'deviceConnectionStateEvents' },
    });
    expect(decodeHubEvent(connected)).toMatchObject({ kind: 'connection', deviceId: 'p1', connected: false, sequenceNumber: '0A' });
    const telemetry = received({ body: Buffer.from('{"a":1}'), systemProperties: { 'iothub-message-source': 'Telemetry', 'iothub-connection-device-id': 'p1', 'iothub-enqueuedtime': 5 } });
    expect(decodeHubEvent(telemetry)).toEqual({ kind: 'telemetry', deviceId: 'p1', body: { a: 1 }, at: 5 });
    expect(decodeHubEvent(received({ systemProperties: { 'iothub-message-source': 'Telemetry' } }))).toBeUndefined();
    expect(decodeHubEvent(received({ properties: { deviceId: 'p1' }, systemProperties: { 'iothub-message-source': 'digitalTwinChangeEvents' } }))).toBeUndefined();
  });
});
