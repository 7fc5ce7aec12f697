import type { OfflineReason } from '../transport/wire-messages.js';

/** Anything the LifecycleManager starts and stops. */
export interface Lifecycle {
  /** A name for logs and the health view. */
  readonly id: string;
  start(signal: AbortSignal): Promise<void>;
  /** `reason` is what a transport announces as it goes offline (`graceful` when absent). */
  stop(reason?: OfflineReason): Promise<void>;
}
