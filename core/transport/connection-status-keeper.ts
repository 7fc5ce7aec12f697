import { BehaviorSubject, defer, distinctUntilChanged, type Observable } from 'rxjs';
import type { Clock } from '../clock.js';
import type { ErrorObject } from '../errors.js';
import type { ConnectionState, ConnectionStatus } from './connection-status.js';

/** Equal as far as a subscriber cares: state, since, error and outbox counters. */
export function sameStatus(a: ConnectionStatus, b: ConnectionStatus): boolean {
  return (
    a.state === b.state &&
    a.since === b.since &&
    a.error?.code === b.error?.code &&
    a.error?.message === b.error?.message &&
    a.endpoint === b.endpoint &&
    a.outbox?.queued === b.outbox?.queued &&
    a.outbox?.dropped === b.outbox?.dropped
  );
}

/**
 * The status bookkeeping of one connection: the current ConnectionStatus (`offline` from
 * construction), `since` stamped on each change of state, the owner's outbox counters carried
 * along, and `status$` replaying the latest with repeats (connecting → connecting) hidden.
 */
export class ConnectionStatusKeeper {
  /** Made for the first subscriber of status$: many connections of a fleet are never watched. */
  private subject?: BehaviorSubject<ConnectionStatus>;
  readonly status$: Observable<ConnectionStatus>;
  private latest: ConnectionStatus;
  private outbox: ConnectionStatus['outbox'];
  private endpoint: string | undefined;

  /** `same` decides which statuses count as repeats. */
  constructor(
    private readonly clock: Clock,
    same: (a: ConnectionStatus, b: ConnectionStatus) => boolean = sameStatus,
  ) {
    this.status$ = defer(() => (this.subject ??= new BehaviorSubject(this.latest)).pipe(distinctUntilChanged(same)));
    this.latest = { state: 'offline', since: clock.now() };
  }

  /** The latest status. */
  get current(): ConnectionStatus {
    return this.latest;
  }

  /** Enters `state` (or stays in it) with `error` as the last error, if any. */
  set(state: ConnectionState, error: ErrorObject | undefined): void {
    const since = state !== this.latest.state ? this.clock.now() : this.latest.since;
    this.latest = {
      state,
      since,
      ...(error === undefined ? {} : { error }),
      ...(this.endpoint === undefined ? {} : { endpoint: this.endpoint }),
      ...(this.outbox === undefined ? {} : { outbox: this.outbox }),
    };
    this.subject?.next(this.latest);
  }

  /** Names the endpoint in use from now on (shown with every later status). */
  setEndpoint(endpoint: string | undefined): void {
    this.endpoint = endpoint;
  }

  /** Reports outbox counters in the status (they belong to the connection's health). */
  setOutbox(outbox: ConnectionStatus['outbox']): void {
    this.outbox = outbox;
    this.set(this.latest.state, this.latest.error);
  }
}
