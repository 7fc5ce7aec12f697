/**
 * Annotated starter configs for `amora config init`. Each passes `amora config check` once the
 * variables it names are set (the MQTT one as it is). Secrets come from the environment, never
 * from the file.
 */
export const STARTER_KINDS = ['mqtt', 'azure', 'aws', 'migration'] as const;
export type StarterKind = (typeof STARTER_KINDS)[number];

const HEADER = `# yaml-language-server: $schema=./node_modules/amora-sync/schema/amora-config.schema.json
# (the path is relative to this file: point it at the package's copy, or write one beside this
#  file with \`npx amora config schema --output amora-config.schema.json\`)
`;

const DEVICE = `device:
  id: \${AMORA_DEVICE_ID:-player-001}   # letters, digits, ".", "_" or "-"; the MQTT topics and cloud identity use it
  name: Living Room

# The device adapter. \`virtual\` runs anywhere (a try-out, a test bench); on a real player:
#   player: { kind: mpd, host: localhost, port: 6600 }   # password: \${MPD_PASSWORD}
player:
  kind: virtual
`;

const FOOTER = `
log:
  level: info          # trace | debug | info | warn | error
  # format: json       # json | pretty; default: pretty on a terminal, json in files and services

# Prometheus /metrics, /healthz and /readyz (docs/operations.md); off unless set.
# metrics: { port: 9464, host: 127.0.0.1 }
`;

const TRANSPORTS: Readonly<Record<StarterKind, string>> = {
  mqtt: `
transports:
  # Any MQTT broker: Mosquitto, EMQX, HiveMQ, or \`npx amora broker\` for a try-out.
  - kind: mqtt
    url: \${MQTT_URL:-mqtt://localhost:1883}   # mqtts://host:8883 for TLS
    topicPrefix: amora                           # topics amora/devices/<id>/{state,commands,responses,connection}
    # username: \${MQTT_USERNAME}
    # password: \${MQTT_PASSWORD}               # a secret: from the environment, redacted in logs
`,
  azure: `
transports:
  # Azure IoT Hub: twin reported/desired state, direct methods, telemetry (docs/azure-iot-hub.md).
  # The device connection string (HostName=…;DeviceId=…;SharedAccessKey=…) is a secret: it is read
  # from AMORA_DEVICE_CONNECTION_STRING when not written here.
  - kind: azure-iot-hub
    connectionString: \${AMORA_DEVICE_CONNECTION_STRING}
`,
  aws: `
transports:
  # AWS IoT Core: the device shadow and MQTT topics (docs/aws-iot.md). Relative paths are read
  # from this file's directory; each option falls back to its IOT_* variable.
  - kind: aws-iot
    endpoint: \${IOT_ENDPOINT}            # xxxx-ats.iot.<region>.amazonaws.com
    certPath: \${IOT_CERT_PATH:-certs/device.pem.crt}
    keyPath: \${IOT_KEY_PATH:-certs/private.pem.key}
    # caPath: certs/AmazonRootCA1.pem    # only for a private CA; the system store trusts AWS
    topicPrefix: amora
`,
  migration: `
transports:
  # One agent on two transports during a move: the site's MQTT broker (the new home) and Azure IoT
  # Hub (the old one), with the same state and commands on both. Remove the old one at the end.
  - kind: mqtt
    url: \${MQTT_URL:-mqtt://localhost:1883}
  - kind: azure-iot-hub
    connectionString: \${AMORA_DEVICE_CONNECTION_STRING}   # a secret, from the environment
`,
};

/** The starter config text for `kind`. */
export function starterConfig(kind: StarterKind): string {
  return `${HEADER}# Amora Sync agent (${kind}): run with \`npx amora agent --config <this file>\`.\n# Check it with \`npx amora config check <this file>\`. Every key: docs/configuration.md.\n${DEVICE}${TRANSPORTS[kind]}${FOOTER}`;
}
