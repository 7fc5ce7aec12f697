import { Command, Option } from 'commander';
import { integerIn } from '../option-values.js';

interface BenchOptions {
  readonly samples: number;
  readonly json?: string;
  readonly only?: string;
}

/** `amora bench` (= `npm run bench`): latency and throughput against raw mqtt.js, in one run. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure state latency, command round trip and throughput beside raw mqtt.js, and the MPD, Azure IoT Hub and AWS IoT Core paths beside generic MQTT')
    .addOption(new Option('-s, --samples <n>', 'samples per latency measurement').default(5000).argParser(integerIn(1, 10_000_000, 'a sample count')))
    .option('--json <file>', 'also write the results as JSON (with machine info)', 'bench-results/latest.json')
    // The names live in bench/run.ts (SCENARIO_NAMES), which this file must not import eagerly.
    .option('--only <scenarios>', 'comma-separated subset of: embedded, mosquitto, mosquitto-nagle, mpd, azure, aws, discovery, signing')
    .action(async (options: BenchOptions) => {
      // Imported on use: the benchmark pulls in histogram code no other command needs.
      const { runBenchmarks } = await import('../bench/run.js');
      await runBenchmarks({
        samples: options.samples,
        ...(options.json ? { jsonPath: options.json } : {}),
        ...(options.only ? { only: options.only.split(',') } : {}),
      });
    });
}
