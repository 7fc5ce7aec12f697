import type { AwsLink, AwsLinkDeps, AwsLinkHooks, AwsLinkSettings } from './aws-link.js';
import { CrtConnection } from './crt-connection.js';
import { AwsMqttLink } from './mqtt-link.js';

/** Which client carries the MQTT connection to AWS IoT Core (the `link` option). */
export type AwsLinkKind = 'mqtt' | 'sdk';

/** The link the options ask for; the `sdk` one loads aws-iot-device-sdk-v2 when started. */
export function createAwsLink(kind: AwsLinkKind, settings: AwsLinkSettings, hooks: AwsLinkHooks, deps: AwsLinkDeps): AwsLink {
  return kind === 'sdk' ? new CrtConnection(settings, hooks, deps) : new AwsMqttLink(settings, hooks, deps);
}
