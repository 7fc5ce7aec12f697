import { Command } from 'commander';

interface BenchOptions {
  readonly samples: string;
  readonly json?: string;
  readonly only?: string;
}

/** `amora bench` (= `npm run bench`): latency and throughput against raw mqtt.js, in one run. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure state latency, command round trip and throughput beside raw mqtt.js')
    .option('-s, --samples <n>', 'samples per latency measurement', '5000')
    .option('--json <file>', 'also write the results as JSON (with machine info)', 'bench-results/latest.json')
    .option('--only <brokers>', 'comma-separated subset of: embedded,mosquitto,mosquitto-nagle')
    .action(async (options: BenchOptions) => {
      // Imported on use: the benchmark pulls in histogram code no other command needs.
      const { runBenchmarks } = await import('../bench/run.js');
      await runBenchmarks({
        samples: Number(options.samples),
        ...(options.json ? { jsonPath: options.json } : {}),
        ...(options.only ? { only: options.only.split(',') } : {}),
      });
    });
}
