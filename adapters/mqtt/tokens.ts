/** DI tokens of the MQTT adapter (core's TOKENS cover the rest). */
export const MQTT_TOKENS = {
  /** A TlsMaterialLoader; the Node plugin binds one that reads files, browsers get inline PEM only. */
  TlsLoader: Symbol.for('amora.mqtt.tls-loader'),
} as const;
