import type { Cloud } from './fleet.js';
import type { DevicePlan } from './mapping.js';
import type { DeviceOutput } from './device-output.js';

/** The target side of `apply`, one per cloud. */
export interface TargetProvisioner {
  readonly cloud: Cloud;
  /** The steps of one device, in order (the names the state file records). */
  readonly steps: readonly string[];
  /** Fleet-wide work before the first device (AWS: the device policy). Idempotent. */
  prepare(): Promise<void>;
  /** Runs the device's steps the state file does not list as done, recording each when done. */
  provision(device: DevicePlan, output: DeviceOutput): Promise<void>;
}
