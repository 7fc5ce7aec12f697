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

type TwinChange = Extract<HubEvent, { kind: 'twinChange' }>;

/** `state$()`: the twin's reported state, then every reported change in `$version` order. */
export function pushedState$(sources: PushSources, deviceId: string): Observable<DeviceStateMessage> {
  return new Observable<DeviceStateMessage>((subscriber) => {
    let current: { readonly state: JsonObject; readonly version: number } | undefined;
    let pending: TwinChange[] = [];
    let reading = false;
    let closed = false;
    let retry: { cancel(): void } | undefined;

    const emit = (state: JsonObject, version: number, timestamp: number): void => {
      current = { state, version };
      const { [COMMAND_RESPONSE_KEY]: _own, ...visible } = state;
      if (Object.keys(visible).length > 0) subscriber.next({ device_id: deviceId, state: visible, version, timestamp });
    };
    const apply = (change: TwinChange): void => {
      if (!current || reading) {
        pending.push(change);
        return;
      }
      if (change.version <= current.version) return; // already in the twin read, or a replay
      if (change.version === current.version + 1) emit(applyMergePatch(current.state, change.patch), change.version, change.at);
      else {
        // A change went unseen (routed before this reader started, or dropped): the twin knows.
        pending.push(change);
        void read();
      }
    };
    const read = async (): Promise<void> => {
      if (reading || closed) return;
      reading = true;
      try {
        const twin = await sources.readTwin(deviceId);
        if (closed) return;
        if (twin && (!current || twin.reportedVersion > current.version)) emit(twin.reported, twin.reportedVersion, twin.reportedUpdated ?? sources.clock.now());
        if (!current) current = { state: {}, version: twin?.reportedVersion ?? 0 };
      } catch (error) {
        sources.logger.debug({ deviceId, err: { message: (error as Error).message } }, 'twin read failed; trying again');
        if (!closed) retry = sources.clock.setTimeout(() => void read(), sources.retryMs);
        return;
      } finally {
        reading = false;
      }
      const queued = pending.toSorted((a, b) => a.version - b.version);
      pending = [];
      // Changes past a gap the twin read did not cover are dropped; the next change reads again.
      for (const change of queued) if (change.version === current.version + 1) apply(change);
    };

    const subscription = sources.events$.subscribe((event) => {
      if (event.kind === 'twinChange' && event.section === 'reported' && event.deviceId === deviceId) apply(event);
    });
    void read();
    return () => {
      closed = true;
      retry?.cancel();
      subscription.unsubscribe();
    };
  });
}

/** `connection$()`: the hub's connection state, then connection events (and telemetry) newer than it. */
export function pushedConnection$(sources: PushSources, deviceId: string): Observable<PresenceState> {
  return new Observable<PresenceState>((subscriber) => {
    const tracker = new PresenceTracker();
    let seeded = false;
    const early: HubEvent[] = [];
    let closed = false;
    let retry: { cancel(): void } | undefined;
    const publish = (): void => subscriber.next(tracker.state(deviceId));
    const subscription = sources.events$.subscribe((event) => {
      if (event.deviceId !== deviceId) return;
      if (!seeded) early.push(event);
      else if (tracker.apply(event)) publish();
    });
    const read = async (): Promise<void> => {
      try {
        const presence = await sources.presence(deviceId);
        if (closed) return;
        if (presence) tracker.seed(presence);
        seeded = true;
        for (const event of early.splice(0)) tracker.apply(event);
        publish();
      } catch (error) {
        sources.logger.debug({ deviceId, err: { message: (error as Error).message } }, 'connection state read failed; trying again');
        if (!closed) retry = sources.clock.setTimeout(() => void read(), sources.retryMs);
      }
    };
    void read();
    return () => {
      closed = true;
      retry?.cancel();
      subscription.unsubscribe();
    };
  }).pipe(startWith<PresenceState>('unknown'), distinctUntilChanged());
}

/** `devices$()`: the registry's list, kept current by connection events and telemetry. */
export function pushedDevices$(sources: PushSources): Observable<readonly DeviceInfo[]> {
  return new Observable<readonly DeviceInfo[]>((subscriber) => {
    const tracker = new PresenceTracker();
    let seeded = false;
    const early: HubEvent[] = [];
    let closed = false;
    let retry: { cancel(): void } | undefined;
    const publish = (): void => subscriber.next(tracker.list());
    const subscription = sources.events$.subscribe((event) => {
      if (!seeded) early.push(event);
      else if (tracker.apply(event)) publish();
    });
    const read = async (): Promise<void> => {
      try {
        const devices = await sources.listPresence();
        if (closed) return;
        for (const presence of devices) tracker.seed(presence);
        seeded = true;
        for (const event of early.splice(0)) tracker.apply(event);
        publish();
      } catch (error) {
        sources.logger.debug({ err: { message: (error as Error).message } }, 'device list read failed; trying again');
        if (!closed) retry = sources.clock.setTimeout(() => void read(), sources.retryMs);
      }
    };
    void read();
    return () => {
      closed = true;
      retry?.cancel();
      subscription.unsubscribe();
    };
  }).pipe(distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)));
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

  list(): readonly DeviceInfo[] {
    return [...this.devices.keys()].toSorted((a, b) => a.localeCompare(b)).map((deviceId) => ({ deviceId, presence: this.state(deviceId) }));
  }
}
