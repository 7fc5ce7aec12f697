import type { JsonObject } from '../../core/index.js';

/** The two clouds `amora migrate` moves fleets between. */
export type Cloud = 'azure' | 'aws';

export const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { azure: 'Azure IoT Hub', aws: 'AWS IoT Core' };

/**
 * One device as the source registry knows it, in neutral terms: what a migration carries over.
 * IoT Hub: the device identity and its twin (desired properties, tags). AWS: the thing (its
 * attributes) and its shadow's desired state (classic or the named shadow chosen).
 */
export interface SourceDevice {
  readonly id: string;
  /** Desired state without the service's own `$version`/`$metadata` members. */
  readonly desired: JsonObject;
  /** IoT Hub twin tags (absent on AWS). */
  readonly tags?: JsonObject;
  /** AWS thing attributes (absent on IoT Hub). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** What `plan` reads from the source, in order of the registry. */
export interface SourceFleet {
  readonly cloud: Cloud;
  /** Where it was read from, credentials masked (the hub's host name, the AWS region and endpoint). */
  readonly where: string;
  readonly devices: readonly SourceDevice[];
}
