import { distinctUntilChanged, filter, Subscription, type Observable } from 'rxjs';
import {
  createMergePatch,
  redactString,
  type ConnectionStatus,
  type ControllerTransport,
  type DeviceStateMessage,
  type JsonObject,
  type RefusedMessage,
  type TelemetryMessage,
} from '../../core/index.js';
import type { ControllerCliOptions } from '../controller-options.js';
import { openController } from '../controller.js';
import { CliError } from '../exit-codes.js';
import { onShutdown } from '../shutdown.js';

export interface WatchOptions extends ControllerCliOptions {
  readonly json?: boolean;
  readonly telemetry?: boolean;
}

/** Streams state and presence changes of `device` (or of every device seen) until a signal. */
export async function runWatch(device: string | undefined, options: WatchOptions): Promise<void> {
  const { controller, where } = await openController(options);
  const print = options.json ? printJson : printHuman;
  const subscriptions = new Subscription();
  let stopping = false;
  onShutdown(async () => {
    stopping = true;
    subscriptions.unsubscribe();
    await controller.stop();
  });
  subscriptions.add(reportLinkChanges(controller.status$, where, () => stopping));
  // What the config's middleware refused (a forged state, an unsigned record) is never shown as
  // the device's; the user is told it was dropped.
  if (controller.refused$) subscriptions.add(controller.refused$.subscribe((refusal) => print(refusedEvent(refusal))));
  const telemetry$ = controller.telemetry$?.bind(controller);
  if (options.telemetry && !telemetry$) throw new CliError(`--telemetry: the ${where} controller cannot read telemetry`);
  const telemetryWatched = new Set<string>();
  const watchTelemetry = (id: string) => {
    if (!options.telemetry || !telemetry$ || telemetryWatched.has(id)) return;
    telemetryWatched.add(id);
    subscriptions.add(
      telemetry$(id).subscribe({
        next: (batch) => print({ type: 'telemetry', device_id: id, kind: batch.kind, records: batch.records }),
        error: (error: unknown) => process.stderr.write(`amora: no telemetry of ${id}: ${redactString((error as Error).message)}\n`),
      }),
    );
  };
  const watched = new Set<string>();
  const watchDevice = (id: string, discovered: boolean) => {
    watchTelemetry(id);
    if (watched.has(id)) return;
    watched.add(id);
    subscriptions.add(watchOne(controller, id, print, discovered));
  };
  if (device) watchDevice(device, false);
  else if (controller.fleetStates$) {
    subscriptions.add(watchFleet(controller, controller.fleetStates$(), print));
    if (options.telemetry) subscriptions.add(controller.devices$().subscribe((devices) => devices.forEach((d) => watchTelemetry(d.deviceId))));
  } else subscriptions.add(controller.devices$().subscribe((devices) => devices.forEach((d) => watchDevice(d.deviceId, true))));
  if (!options.json) process.stderr.write(`watching ${device ?? 'all devices'} on ${where} (Ctrl-C to stop)\n`);
  // Runs until a signal: the open connection keeps the process alive, onShutdown ends it.
}

type WatchEvent =
  | { type: 'connection'; device_id: string; status: string }
  | { type: 'state'; device_id: string; version: number; state: JsonObject; changed: JsonObject; timestamp: number }
  | { type: 'telemetry'; device_id: string; kind: string; records: TelemetryMessage['records'] }
  | { type: 'refused'; device_id: string; what: string; reason: string; total: number; kind?: string; command_id?: string };

function refusedEvent(refusal: RefusedMessage): WatchEvent {
  return {
    type: 'refused',
    device_id: refusal.deviceId,
    what: refusal.what,
    reason: refusal.reason,
    total: refusal.total,
    ...(refusal.kind === undefined ? {} : { kind: refusal.kind }),
    ...(refusal.commandId === undefined ? {} : { command_id: refusal.commandId }),
  };
}

/**
 * Streams one device. A device found through devices$ has a known presence, so the placeholder
 * `unknown` the stream starts with is noise there; for a device named by the user it is the answer.
 */
function watchOne(controller: ControllerTransport, id: string, print: (event: WatchEvent) => void, discovered: boolean): Subscription {
  const subscription = new Subscription();
  let previous: JsonObject | undefined;
  subscription.add(
    controller
      .connection$(id)
      .pipe(
        filter((status) => !(discovered && status === 'unknown')),
        distinctUntilChanged(),
      )
      .subscribe((status) => print({ type: 'connection', device_id: id, status })),
  );
  subscription.add(
    controller.state$(id).subscribe((message) => {
      const changed = previous === undefined ? message.state : createMergePatch(previous, message.state);
      previous = message.state;
      print({ type: 'state', device_id: id, version: message.version, state: message.state, changed, timestamp: message.timestamp });
    }),
  );
  return subscription;
}

/**
 * Streams every device through two wildcard subscriptions (presence via devices$, states via
 * fleetStates$) instead of two subscriptions per device: on a fleet of 10,000 that is the
 * difference between a few seconds and minutes of SUBSCRIBE round trips.
 */
function watchFleet(controller: ControllerTransport, states$: Observable<DeviceStateMessage>, print: (event: WatchEvent) => void): Subscription {
  const subscription = new Subscription();
  const presence = new Map<string, string>();
  subscription.add(
    controller.devices$().subscribe((devices) => {
      for (const { deviceId, presence: status } of devices) {
        if (presence.get(deviceId) === status) continue;
        presence.set(deviceId, status);
        print({ type: 'connection', device_id: deviceId, status });
      }
    }),
  );
  const previous = new Map<string, JsonObject>();
  subscription.add(
    states$.subscribe((message) => {
      const before = previous.get(message.device_id);
      previous.set(message.device_id, message.state);
      const changed = before === undefined ? message.state : createMergePatch(before, message.state);
      print({ type: 'state', device_id: message.device_id, version: message.version, state: message.state, changed, timestamp: message.timestamp });
    }),
  );
  return subscription;
}

/** Tells the user on stderr when the broker link drops and comes back (watch keeps retrying). */
function reportLinkChanges(status$: Observable<ConnectionStatus>, where: string, stopping: () => boolean): Subscription {
  let online = true; // openController waited for it
  return status$.pipe(filter(() => !stopping())).subscribe((status) => {
    if (status.state === 'online' && !online) {
      online = true;
      process.stderr.write(`amora: connected to ${where} again\n`);
    } else if ((status.state === 'offline' || status.state === 'connecting') && online) {
      online = false;
      const reason = status.error ? `: ${redactString(status.error.message)}` : '';
      process.stderr.write(`amora: lost the connection to ${where}${reason}; retrying\n`);
    }
  });
}

function printJson(event: WatchEvent): void {
  writeOut(`${JSON.stringify(event)}\n`);
}

let corked = false;

/**
 * Writes to stdout, gathering what one turn of the event loop prints into one write: a fleet's
 * retained messages arrive as a burst of thousands of lines, and a write (a syscall) per line cost
 * watch more than reading, checking and formatting them (10,000 devices, 20,000 lines).
 */
function writeOut(text: string): void {
  if (!corked) {
    corked = true;
    process.stdout.cork();
    setImmediate(() => {
      corked = false;
      process.stdout.uncork();
    });
  }
  process.stdout.write(text);
}

function printHuman(event: WatchEvent): void {
  const time = new Date().toISOString().slice(11, 23);
  if (event.type === 'refused') {
    const what = event.kind === undefined ? event.what : `${event.what} "${event.kind}"`;
    process.stderr.write(`amora: ${time} dropped a ${what} from ${event.device_id} the middleware refused (${event.reason}; ${event.total} so far)\n`);
    return;
  }
  const line =
    event.type === 'connection'
      ? `${event.device_id} ${event.status}`
      : event.type === 'telemetry'
        ? `${event.device_id} telemetry ${event.kind} ${event.records.map((record) => JSON.stringify(record.data)).join(' ')}`
        : `${event.device_id} state v${event.version} ${JSON.stringify(event.changed)}`;
  writeOut(`${time} ${line}\n`);
}
