import { Command } from 'commander';
import { addControllerOptions } from '../controller-options.js';
import type { WatchOptions } from '../actions/watch.js';

/** `amora watch [DEVICE]`: stream state and presence changes as they happen, until Ctrl-C. */
export function watchCommand(): Command {
  const command = new Command('watch')
    .description('stream state and connection changes of one device, or of every device seen')
    .argument('[device]', 'device id; all devices when omitted')
    .option('--json', 'one JSON object per line: {type: "state"|"connection"|"telemetry"|"refused", device_id, ...}')
    .option('--telemetry', "also stream each device's telemetry batches (MQTT, AWS IoT; Azure with --eventhub)");
  return addControllerOptions(command).action(async (device: string | undefined, options: WatchOptions) => {
    // Imported on use, so `--help` and the other commands do not load the controller's modules.
    const { runWatch } = await import('../actions/watch.js');
    await runWatch(device, options);
  });
}
