import { distinctUntilChanged, Observable, startWith } from 'rxjs';
import {
  applyMergePatch,
  type Clock,
  type DeviceInfo,
  type DeviceStateMessage,
  type JsonObject,
  type Logger,
  type PresenceState,
} from '../../core/index.js';
import { deviceDirectory, type PresenceSighting } from '../../core/internal.js';
import { COMMAND_RESPONSE_KEY } from './desired-command.js';
import type { HubEvent } from './hub-event.js';
import type { DevicePresence, ServiceTwin } from './service-client.js';

/**
 * The Azure controller's push views: each is seeded by one read of the hub (a twin, a device's
 * connection state, the device list) and then moved on by the events routed to the Event
 * Hub-compatible endpoint. Events are compared with what the read said, so a replayed or late
 * event never shows as current: a reported change counts only with the next `$version` (a gap
 * reads the twin again), a connection event only when newer than the hub's last word.
 */
export interface PushSources {
  readonly events$: Observable<HubEvent>;
  readTwin(deviceId: string): Promise<ServiceTwin | undefined>;
  presence(deviceId: string): Promise<DevicePresence | undefined>;
  listPresence(): Promise<readonly DevicePresence[]>;
  /** A failed seed read is tried again after this long. */
  readonly retryMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Twin reads a fleet view runs at once while it seeds (a fleet of thousands must not open thousands of requests). */
const FLEET_READS_AT_ONCE = 8;

type TwinChange = Extract<HubEvent, { kind: 'twinChange' }>;

const isReportedChange = (event: HubEvent): event is TwinChange => event.kind === 'twinChange' && event.section === 'reported';

/** `state$()`: the twin's reported state, then every reported change in `$version` order. */
export function pushedState$(sources: PushSources, deviceId: string): Observable<DeviceStateMessage> {
  return new Observable<DeviceStateMessage>((subscriber) => {
    const follower = new ReportedStateFollower(sources, deviceId, sources.readTwin, (message) => subscriber.next(message));
    const subscription = sources.events$.subscribe((event) => {
      if (isReportedChange(event) && event.deviceId === deviceId) follower.apply(event);
    });
    follower.start();
    return () => {
      follower.close();
      subscription.unsubscribe();
    };
  });
}

/**
 * `fleetStates$()`: every registered device's reported state (one twin read each, a few at a
 * time), then every reported change of any device, each device in `$version` order. A device
 * first seen in an event is read then. Cold: each subscriber gets its own reads.
 */
export function pushedFleetStates$(sources: PushSources): Observable<DeviceStateMessage> {
  const readTwin = atMost(FLEET_READS_AT_ONCE, sources.readTwin);
  return seededView<readonly DevicePresence[], DeviceStateMessage>(sources, 'device list', (emit) => {
    const followers = new Map<string, ReportedStateFollower>();
    const follower = (deviceId: string): ReportedStateFollower => {
      let known = followers.get(deviceId);
      if (!known) {
        known = new ReportedStateFollower(sources, deviceId, readTwin, emit);
        followers.set(deviceId, known);
        known.start();
      }
      return known;
    };
    return {
      read: sources.listPresence,
      relevant: isReportedChange,
      seed: (devices, held) => {
        for (const device of devices) follower(device.deviceId);
        for (const change of held) follower(change.deviceId).apply(change as TwinChange);
      },
      apply: (change) => follower(change.deviceId).apply(change as TwinChange),
      close: () => followers.forEach((each) => each.close()),
    };
  });
}

/** `connection$()`: the hub's connection state, then connection events (and telemetry) newer than it. */
export function pushedConnection$(sources: PushSources, deviceId: string): Observable<PresenceState> {
  return seededView<DevicePresence | undefined, PresenceState>(sources, 'connection state', (emit) => {
    const tracker = new PresenceTracker();
    return {
      read: () => sources.presence(deviceId),
      relevant: (event) => event.deviceId === deviceId,
      seed: (presence, held) => {
        if (presence) tracker.seed(presence);
        for (const event of held) tracker.apply(event);
        emit(tracker.state(deviceId));
      },
      apply: (event) => {
        if (tracker.apply(event)) emit(tracker.state(deviceId));
      },
    };
  }).pipe(startWith<PresenceState>('unknown'), distinctUntilChanged());
}

/**
 * `devices$()`: the registry's list, kept current by connection events and telemetry. Each event
 * costs one map update (core's deviceDirectory keeps the sorted list and emits once per burst),
 * not a new list compared with the last one: a fleet of thousands stays linear. Like the MQTT
 * controller's, it emits nothing while no device is known.
 */
export function pushedDevices$(sources: PushSources): Observable<readonly DeviceInfo[]> {
  return seededView<readonly DevicePresence[], PresenceSighting>(sources, 'device list', (emit) => {
    const tracker = new PresenceTracker();
    const sight = (deviceId: string): void => emit({ deviceId, presence: tracker.state(deviceId) });
    return {
      read: sources.listPresence,
      relevant: (event) => event.kind !== 'twinChange',
      seed: (devices, held) => {
        for (const presence of devices) tracker.seed(presence);
        for (const event of held) tracker.apply(event);
        for (const deviceId of tracker.deviceIds()) sight(deviceId);
      },
      apply: (event) => {
        if (tracker.apply(event)) sight(event.deviceId);
      },
    };
  }).pipe(deviceDirectory());
}

/** What a seeded view does with its read and the events; made afresh for each subscription. */
interface SeededViewSpec<S> {
  read(): Promise<S>;
  /** The events the view cares about. */
  relevant(event: HubEvent): boolean;
  /** Takes the read's answer and the relevant events that arrived while it was on its way. */
  seed(value: S, held: readonly HubEvent[]): void;
  /** Takes a relevant event after the seed. */
  apply(event: HubEvent): void;
  close?(): void;
}

/**
 * The pattern the views share: listen to the events first, then read the seed (a failed read is
 * tried again after `retryMs`), hold the events that arrive before the read answered, hand them
 * over with the answer, and every later one as it comes.
 */
function seededView<S, T>(sources: PushSources, what: string, create: (emit: (value: T) => void) => SeededViewSpec<S>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const spec = create((value) => subscriber.next(value));
    let held: HubEvent[] | undefined = [];
    const subscription = sources.events$.subscribe((event) => {
      if (!spec.relevant(event)) return;
      if (held) held.push(event);
      else spec.apply(event);
    });
    const reading = readUntilAnswered(sources, what, spec.read, (value) => {
      const early = held ?? [];
      held = undefined;
      spec.seed(value, early);
    });
    return () => {
      reading.cancel();
      subscription.unsubscribe();
      spec.close?.();
    };
  });
}

/** Runs `read` until it answers (each failure logged at debug, tried again after `retryMs`), then calls `answered`. */
function readUntilAnswered<S>(sources: PushSources, what: string, read: () => Promise<S>, answered: (value: S) => void): { cancel(): void } {
  let cancelled = false;
  let retry: { cancel(): void } | undefined;
  const attempt = (): void => {
    read().then(
      (value) => {
        if (!cancelled) answered(value);
      },
      (error: unknown) => {
        if (cancelled) return;
        sources.logger.debug({ err: { message: (error as Error).message } }, `${what} read failed; trying again`);
        retry = sources.clock.setTimeout(attempt, sources.retryMs);
      },
    );
  };
  attempt();
  return {
    cancel: () => {
      cancelled = true;
      retry?.cancel();
    },
  };
}

/**
 * One device's reported state from a twin read and the twin change events after it: a change
 * counts with the next `$version` only; changes that arrive while the twin is read wait for it;
 * a gap (a change routed before the reader started, or lost) reads the twin again.
 */
class ReportedStateFollower {
  private current: { readonly state: JsonObject; readonly version: number } | undefined;
  private pending: TwinChange[] = [];
  private reading: { cancel(): void } | undefined;
  private closed = false;

  constructor(
    private readonly sources: PushSources,
    private readonly deviceId: string,
    private readonly readTwin: (deviceId: string) => Promise<ServiceTwin | undefined>,
    private readonly emit: (message: DeviceStateMessage) => void,
  ) {}

  start(): void {
    this.read();
  }

  apply(change: TwinChange): void {
    const { current } = this;
    if (!current || this.reading) {
      this.pending.push(change);
      return;
    }
    if (change.version <= current.version) return; // already in the twin read, or a replay
    if (change.version === current.version + 1) this.show(applyMergePatch(current.state, change.patch), change.version, change.at);
    else {
      this.pending.push(change);
      this.read();
    }
  }

  close(): void {
    this.closed = true;
    this.reading?.cancel();
  }

  private read(): void {
    if (this.reading || this.closed) return;
    this.reading = readUntilAnswered(this.sources, `twin of ${this.deviceId}`, () => this.readTwin(this.deviceId), (twin) => {
      this.reading = undefined;
      if (twin && (!this.current || twin.reportedVersion > this.current.version)) this.show(twin.reported, twin.reportedVersion, twin.reportedUpdated ?? this.sources.clock.now());
      this.current ??= { state: {}, version: twin?.reportedVersion ?? 0 };
      const queued = this.pending.toSorted((a, b) => a.version - b.version);
      this.pending = [];
      // Changes past a gap the twin read did not cover are dropped; the next change reads again.
      for (const change of queued) if (change.version === this.current.version + 1) this.apply(change);
    });
  }

  private show(state: JsonObject, version: number, timestamp: number): void {
    this.current = { state, version };
    const { [COMMAND_RESPONSE_KEY]: _own, ...visible } = state;
    if (Object.keys(visible).length > 0) this.emit({ device_id: this.deviceId, state: visible, version, timestamp });
  }
}

/** `fn` with at most `limit` calls in flight; the others wait their turn. */
function atMost<A extends unknown[], R>(limit: number, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (...args: A): Promise<R> => {
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await fn(...args);
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

/**
 * Devices' presence from a registry read and the events after it. An event counts only when it
 * is newer than what is known: a connection event by the hub's sequence number and its time
 * against the read's `connectionStateUpdatedTime`; telemetry shows a device online unless a
 * later disconnect is known.
 */
export class PresenceTracker {
  private readonly devices = new Map<string, { connected: boolean | undefined; at: number; sequence: string }>();

  seed(presence: DevicePresence): void {
    const at = presence.changedAt === undefined ? 0 : Date.parse(presence.changedAt);
    this.devices.set(presence.deviceId, { connected: presence.connected, at: Number.isFinite(at) ? at : 0, sequence: '' });
  }

  /** Applies an event; true when it changed something. */
  apply(event: HubEvent): boolean {
    const known = this.devices.get(event.deviceId);
    if (event.kind === 'connection') {
      if (known && (event.at < known.at || (known.sequence !== '' && event.sequenceNumber <= known.sequence))) return false;
      this.devices.set(event.deviceId, { connected: event.connected, at: event.at, sequence: event.sequenceNumber });
      return known?.connected !== event.connected || known === undefined;
    }
    if (event.kind === 'telemetry') {
      if (known?.connected === true || (known && event.at < known.at)) return false;
      this.devices.set(event.deviceId, { connected: true, at: event.at, sequence: known?.sequence ?? '' });
      return true;
    }
    return false;
  }

  state(deviceId: string): PresenceState {
    const connected = this.devices.get(deviceId)?.connected;
    return connected === undefined ? 'unknown' : connected ? 'online' : 'offline';
  }

  /** The devices known, in no particular order. */
  deviceIds(): IterableIterator<string> {
    return this.devices.keys();
  }
}
