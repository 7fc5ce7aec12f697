import type { TransportConfig } from 'azure-iot-common';
import deviceMqtt from 'azure-iot-device-mqtt';

/**
 * Our seams into azure-iot-device-mqtt (Node only).
 *
 * - `base`: the SDK's own MQTT connection (its MqttBase). The adapter speaks the twin
 *   request/response topics and reads method requests on it directly, because the SDK's twin
 *   client ignores the status code of twin responses (a 429 or 400 on a reported patch reads as
 *   success unless the body happens to carry an `errorCode`, and then the code is lost), and its
 *   method API answers malformed payloads itself with a bare string instead of our error object.
 * - MqttWs always connects to port 443 (`wss://{host}:443/$iothub/websocket`), even when the
 *   connection string's HostName names another port (`wss://localhost:8443:443/…`, which url.parse
 *   turns into port 443 and a garbage path). The subclass keeps the port of the HostName.
 */

/** The part of the SDK's MqttBase the adapter uses. */
export interface MqttBaseLike {
  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1; retain: boolean }, done: (error?: Error) => void): void;
  subscribe(topic: string, options: { qos: 0 | 1 }, done: (error?: Error, granted?: readonly { topic: string; qos: number }[]) => void): void;
  on(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown;
  removeListener(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown;
}

/** A device method response as the SDK transport sends it. */
export interface SdkMethodResponse {
  readonly requestId: string;
  readonly status: number;
  readonly payload: unknown;
}

/** What the adapter calls on the SDK transport besides what the Client wraps. */
export interface AmoraSdkTransport {
  readonly base: MqttBaseLike;
  enableMethods(done: (error?: Error) => void): void;
}

function baseOf(transport: object): MqttBaseLike {
  // oxlint-disable-next-line no-underscore-dangle -- the SDK's own field name
  return (transport as { _mqtt: MqttBaseLike })._mqtt;
}

/** MQTT over TLS (port from the HostName, 8883 by default). */
export class AmoraMqtt extends deviceMqtt.Mqtt implements AmoraSdkTransport {
  get base(): MqttBaseLike {
    return baseOf(this);
  }
}

/**
 * The SDK's MQTT base config, named through azure-iot-device-mqtt rather than imported from the
 * SDK's own MQTT base package, which we do not depend on (published declarations importing it
 * would not resolve for users).
 */
type MqttBaseTransportConfig = ReturnType<InstanceType<typeof deviceMqtt.MqttWs>['_getBaseTransportConfig']>;

/** MQTT over WebSocket, keeping the HostName's port. */
export class AmoraMqttWs extends deviceMqtt.MqttWs implements AmoraSdkTransport {
  get base(): MqttBaseLike {
    return baseOf(this);
  }

  protected override _getBaseTransportConfig(credentials: TransportConfig): MqttBaseTransportConfig {
    // oxlint-disable-next-line no-underscore-dangle -- the SDK's own (protected) method name
    const config = super._getBaseTransportConfig(credentials);
    const host = credentials.gatewayHostName || credentials.host;
    if (/:\d+$/.test(host)) config.uri = `wss://${host}/$iothub/websocket`;
    return config;
  }
}

/** Either SDK transport, with the seams above. */
export type AmoraTransport = AmoraMqtt | AmoraMqttWs;

/**
 * Answers a direct method through the SDK transport. Its typings ask for a whole
 * DeviceMethodResponse object, but it reads only `requestId`, `status` and `payload`.
 */
export function sendMethodResponse(transport: AmoraTransport, response: SdkMethodResponse): Promise<void> {
  type Send = (response: SdkMethodResponse, done: (error?: Error) => void) => void;
  const send = (transport.sendMethodResponse as unknown as Send).bind(transport);
  return new Promise((resolve, reject) => send(response, (error) => (error ? reject(error) : resolve())));
}
