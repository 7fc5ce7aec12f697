/** Anything the LifecycleManager starts and stops. */
export interface Lifecycle {
  /** A name for logs and the health view. */
  readonly id: string;
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}
