import type { OutboxStore } from '../telemetry/outbox-store.js';
import type { VersionStore } from './version-store.js';

/**
 * What an agent keeps across restarts (bound to TOKENS.DeviceStorage; the CLI binds a state
 * directory, see FileDeviceStorage): the state version, and each transport's offline outbox.
 */
export interface DeviceStorage {
  readonly versions: VersionStore;
  /** The store for the outbox of one transport instance, by its instance id (e.g. "mqtt#2"). */
  outbox<T>(instanceId: string): OutboxStore<T>;
}
