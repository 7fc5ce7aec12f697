import { Command } from 'commander';
import { distinctUntilChanged, filter, Subscription, type Observable } from 'rxjs';
import {
  createMergePatch,
  redactString,
  type ConnectionStatus,
  type ControllerTransport,
  type DeviceStateMessage,
  type JsonObject,
} from '../../core/index.js';
import { addControllerOptions, type ControllerCliOptions } from '../controller-options.js';
import { onShutdown } from '../shutdown.js';

interface WatchOptions extends ControllerCliOptions {
  readonly json?: boolean;
}

/** `amora watch [DEVICE]`: stream state and presence changes as they happen, until Ctrl-C. */
export function watchCommand(): Command {
  const command = new Command('watch')
    .description('stream state and connection changes of one device, or of every device seen')
    .argument('[device]', 'device id; all devices when omitted')
    .option('--json', 'one JSON object per line: {type: "state"|"connection", device_id, ...}');
  return addControllerOptions(command).action(async (device: string | undefined, options: WatchOptions) => {
    const { openController } = await import('../controller.js');
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
    const watched = new Set<string>();
    const watchDevice = (id: string, discovered: boolean) => {
      if (watched.has(id)) return;
      watched.add(id);
      subscriptions.add(watchOne(controller, id, print, discovered));
    };
    if (device) watchDevice(device, false);
    else if (controller.fleetStates$) subscriptions.add(watchFleet(controller, controller.fleetStates$(), print));
    else subscriptions.add(controller.devices$().subscribe((devices) => devices.forEach((d) => watchDevice(d.deviceId, true))));
    if (!options.json) process.stderr.write(`watching ${device ?? 'all devices'} on ${where} (Ctrl-C to stop)\n`);
    // Runs until a signal: the open connection keeps the process alive, onShutdown ends it.
  });
}

type WatchEvent =
  | { type: 'connection'; device_id: string; status: string }
  | { type: 'state'; device_id: string; version: number; state: JsonObject; changed: JsonObject; timestamp: number };

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
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function printHuman(event: WatchEvent): void {
  const time = new Date().toISOString().slice(11, 23);
  const line =
    event.type === 'connection'
      ? `${event.device_id} ${event.status}`
      : `${event.device_id} state v${event.version} ${JSON.stringify(event.changed)}`;
  process.stdout.write(`${time} ${line}\n`);
}
