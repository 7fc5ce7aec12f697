import type { ErrorObject } from '../errors.js';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'closed';

/** The health of one connection (a transport, a player link) at one moment. */
export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Epoch milliseconds when this state was entered. */
  readonly since: number;
  /** The last error seen, if the state was caused by one. */
  readonly error?: ErrorObject;
  /**
   * The broker or hub this connection uses or tries now (a URL or host:port, without
   * credentials), so health shows which one of a list is active after a failover.
   */
  readonly endpoint?: string;
  /** Messages waiting in the offline outbox, and how many were lost to overflow (never silently). */
  readonly outbox?: { readonly queued: number; readonly dropped: number };
}

/** Presence of a remote device as a controller sees it. */
export type PresenceState = 'online' | 'offline' | 'unknown';
