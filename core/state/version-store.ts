/**
 * Where the state version survives a restart. DeviceState leases versions in blocks: before it
 * hands out a version above the recorded ceiling it records a new ceiling, so after any crash the
 * next run starts above every version the last one can have published (a consumer ordering by
 * version keeps seeing newer states) at the cost of one durable write per block.
 */
export interface VersionStore {
  /** The ceiling recorded by the last run, 0 when there was none. */
  load(): number;
  /** Durably records `ceiling`; returns once it would survive a power cut. Never throws (it logs). */
  save(ceiling: number): void;
}

/** Versions leased per durable write. */
export const VERSION_LEASE = 1_000;
