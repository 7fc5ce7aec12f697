/**
 * TLS material ready for mqtt.js (Node's tls.connect options): PEM text, never file paths. A
 * module of its own, free of the mqtt package's types, so the entry points that only name it
 * (the MQTT kind's TLS loader) type-check without mqtt.js's browser typings.
 */
export interface ResolvedTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized?: boolean;
  /** ALPN protocols offered in the handshake (AWS IoT Core's `x-amzn-mqtt-ca` on port 443). */
  readonly ALPNProtocols?: readonly string[];
}
