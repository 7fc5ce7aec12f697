import {
  type JsonObject,
} from '../../../../core/index.js';
import type { TelemetryMessage } from '../device-endpoint.js';
import type { RoutedEvent } from './event-store.js';

/**
 * The messages IoT Hub routes to its Event Hub-compatible endpoint, shaped as the hub shapes them:
 *
 * - device-to-cloud messages (route source `DeviceMessages`, as the AmoraSDK guide's `StatusRoute`
 *   with condition `true`): the device's body, content type and encoding, its application
 *   properties, and the system properties `iothub-connection-device-id`, `iothub-enqueuedtime`,
 *   `iothub-message-source: Telemetry`;
 * - twin change events (source `TwinChangeEvents`): application properties `hubName`, `deviceId`,
 *   `operationTimestamp`, `iothub-message-schema: twinChangeNotification`, `opType: updateTwin`,
 *   body `{"version": twinVersion, "properties": {"reported"|"desired": {...patch, "$version": n}}}`;
 * - device connection state events (source `DeviceConnectionStateEvents`): `opType`
 *   `deviceConnected`/`deviceDisconnected`, `iothub-message-schema:
 *   deviceConnectionStateNotification`, body `{"sequenceNumber": "..."}` (ordered per device).
 */

export const MESSAGE_SOURCE = {
  telemetry: 'Telemetry',
  twinChange: 'twinChangeEvents',
  connectionState: 'deviceConnectionStateEvents',
} as const;

export function telemetryEvent(message: TelemetryMessage, authMethod: string): RoutedEvent {
  return {
    deviceId: message.deviceId,
    body: message.body,
    ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
    ...(message.contentEncoding === undefined ? {} : { contentEncoding: message.contentEncoding }),
    ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
    properties: { ...message.properties },
    annotations: {
      'iothub-connection-device-id': message.deviceId,
      'iothub-connection-auth-method': authMethod,
      'iothub-connection-auth-generation-id': '0',
      'iothub-enqueuedtime': new Date(message.enqueuedTime),
      'iothub-message-source': MESSAGE_SOURCE.telemetry,
    },
  };
}

export interface TwinChange {
  readonly deviceId: string;
  readonly section: 'reported' | 'desired';
  /** The patch as applied (`null` deletes a key). */
  readonly patch: JsonObject;
  /** The section's new `$version`. */
  readonly sectionVersion: number;
  /** The twin's overall version. */
  readonly twinVersion: number;
  readonly at: number;
}

export function twinChangeEvent(hubName: string, change: TwinChange): RoutedEvent {
  const body = { version: change.twinVersion, properties: { [change.section]: { ...change.patch, $version: change.sectionVersion } } };
  return hubEvent(hubName, change.deviceId, change.at, MESSAGE_SOURCE.twinChange, 'twinChangeNotification', 'updateTwin', body);
}

export interface ConnectionChange {
  readonly deviceId: string;
  readonly connected: boolean;
  readonly at: number;
  /** Increases with every connection event of the hub: how consumers order them. */
  readonly sequence: number;
}

export function connectionStateEvent(hubName: string, change: ConnectionChange): RoutedEvent {
  // IoT Hub's sequence numbers are fixed-width hex strings that compare in order as strings.
  const sequenceNumber = change.sequence.toString(16).toUpperCase().padStart(64, '0');
  const opType = change.connected ? 'deviceConnected' : 'deviceDisconnected';
  return hubEvent(hubName, change.deviceId, change.at, MESSAGE_SOURCE.connectionState, 'deviceConnectionStateNotification', opType, { sequenceNumber });
}

function hubEvent(hubName: string, deviceId: string, at: number, source: string, schema: string, opType: string, body: object): RoutedEvent {
  return {
    deviceId,
    body: Buffer.from(JSON.stringify(body), 'utf8'),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    properties: {
      hubName,
      deviceId,
      operationTimestamp: new Date(at).toISOString(),
      'iothub-message-schema': schema,
      opType,
    },
    annotations: {
      'iothub-connection-device-id': deviceId,
      'iothub-enqueuedtime': new Date(at),
      'iothub-message-source': source,
    },
  };
}
