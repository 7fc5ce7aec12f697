import { Command, Option } from 'commander';
import { Subscription } from 'rxjs';
import { createMergePatch } from '../../core/state/merge-patch.js';
import type { JsonObject } from '../../core/state/json.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { CONTROLLER_OPTION_HELP, openController, type ControllerCliOptions } from '../controller.js';
import { onShutdown } from '../shutdown.js';

interface WatchOptions extends ControllerCliOptions {
  readonly json?: boolean;
}

/** `amora watch [DEVICE]`: stream state and presence changes as they happen. */
export function watchCommand(): Command {
  return new Command('watch')
    .description('stream state and connection changes of one device, or of every device seen')
    .argument('[device]', 'device id; all devices when omitted')
    .option('--json', 'one JSON object per line: {type: "state"|"connection", device_id, ...}')
    .addOption(new Option('--url <url>', CONTROLLER_OPTION_HELP.url).default('mqtt://localhost:1883').env('AMORA_MQTT_URL'))
    .option('--prefix <prefix>', CONTROLLER_OPTION_HELP.prefix)
    .addOption(new Option('-c, --config <file>', CONTROLLER_OPTION_HELP.config).env('AMORA_CONFIG'))
    .option('--transport <n>', CONTROLLER_OPTION_HELP.transport)
    .option('--connect-timeout <ms>', CONTROLLER_OPTION_HELP.connectTimeout, '5000')
    .action(async (device: string | undefined, options: WatchOptions) => {
      const { controller, where } = await openController(options);
      const print = options.json ? printJson : printHuman;
      const subscriptions = new Subscription();
      const watched = new Set<string>();
      const watchDevice = (id: string) => {
        if (watched.has(id)) return;
        watched.add(id);
        subscriptions.add(watchOne(controller, id, print));
      };
      if (device) {
        watchDevice(device);
      } else {
        subscriptions.add(controller.devices$().subscribe((devices) => devices.forEach((d) => watchDevice(d.deviceId))));
      }
      if (!options.json) process.stderr.write(`watching ${device ?? 'all devices'} on ${where} (Ctrl-C to stop)\n`);
      onShutdown(async () => {
        subscriptions.unsubscribe();
        await controller.stop();
      });
      await new Promise<never>(() => undefined);
    });
}

type WatchEvent =
  | { type: 'connection'; device_id: string; status: string }
  | { type: 'state'; device_id: string; version: number; state: JsonObject; changed: JsonObject; timestamp: number };

function watchOne(controller: ControllerTransport, id: string, print: (event: WatchEvent) => void): Subscription {
  const subscription = new Subscription();
  let previous: JsonObject | undefined;
  subscription.add(controller.connection$(id).subscribe((status) => print({ type: 'connection', device_id: id, status })));
  subscription.add(
    controller.state$(id).subscribe((message) => {
      const changed = previous === undefined ? message.state : createMergePatch(previous, message.state);
      previous = message.state;
      print({ type: 'state', device_id: id, version: message.version, state: message.state, changed, timestamp: message.timestamp });
    }),
  );
  return subscription;
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
