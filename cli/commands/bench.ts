import { Command, Option } from 'commander';
import { integerIn } from '../option-values.js';

interface BenchOptions {
  readonly samples: number;
  readonly rounds: number;
  readonly json?: string;
  readonly only?: string;
}

interface FleetCliOptions {
  readonly devices: number;
  readonly clients: number;
  readonly rate: number;
  readonly duration: number;
  readonly runs: number;
  readonly broker: 'mosquitto' | 'embedded';
  readonly url?: string;
  readonly subscriberProcesses?: number;
  readonly commandInterval: number;
  readonly protocolVersion: '4' | '5';
  readonly probeResponses: 'device' | 'fleet';
  readonly json?: string | true;
}

/** `amora bench` (= `npm run bench`): latency and throughput against raw mqtt.js, in one run; `amora bench fleet`: the same at fleet scale. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure state latency, command round trip and throughput beside raw mqtt.js, and the MPD, Azure IoT Hub and AWS IoT Core paths beside generic MQTT')
    .addOption(new Option('-s, --samples <n>', 'samples per latency measurement').default(5000).argParser(integerIn(1, 10_000_000, 'a sample count')))
    .addOption(new Option('--rounds <n>', 'passes of each side on each broker, the order reversed every round').default(2).argParser(integerIn(1, 20, 'a round count')))
    .option('--json <file>', 'also write the results as JSON (with machine info)', 'bench-results/latest.json')
    // The names live in bench/run.ts (SCENARIO_NAMES), which this file must not import eagerly.
    .option('--only <scenarios>', 'comma-separated subset of: embedded, mosquitto, mosquitto-nagle, mpd, azure, aws, discovery, signing, content-sync, cold-start')
    .action(async (options: BenchOptions) => {
      // Imported on use: the benchmark pulls in histogram code no other command needs.
      const { runBenchmarks } = await import('../bench/run.js');
      await runBenchmarks({
        samples: options.samples,
        rounds: options.rounds,
        ...(options.json ? { jsonPath: options.json } : {}),
        ...(options.only ? { only: options.only.split(',') } : {}),
      });
    })
    // `bench fleet --json` is fleet's own option, not bench's `--json <file>`.
    .enablePositionalOptions()
    .addCommand(fleetCommand());
}

/** `amora bench fleet`: N agents in one process and M subscribers on one broker, beside the same load from mqtt.js. */
function fleetCommand(): Command {
  return new Command('fleet')
    .description('N devices in one process and M subscriber connections on a broker the bench starts: Amora agents, then the same load from raw mqtt.js clients, in one run')
    .addOption(new Option('--devices <n>', 'devices (agents, then raw mqtt.js clients) in one process').default(1400).argParser(integerIn(1, 100_000, 'a device count')))
    .addOption(new Option('--clients <n>', 'subscriber connections, each watching one device').default(5000).argParser(integerIn(1, 100_000, 'a client count')))
    .addOption(new Option('--rate <n>', 'state updates per device per second').default(1).argParser(integerIn(1, 1000, 'a rate')))
    .addOption(new Option('--duration <s>', 'seconds each pass publishes').default(10).argParser(integerIn(1, 3600, 'seconds')))
    .addOption(new Option('--runs <n>', 'rounds of amora and raw, the order reversed each round').default(2).argParser(integerIn(1, 20, 'a round count')))
    .addOption(new Option('--broker <name>', 'broker the bench starts').choices(['mosquitto', 'embedded']).default('mosquitto'))
    .option('--url <url>', 'use this running broker instead of starting one')
    .addOption(new Option('--subscriber-processes <n>', 'child processes the subscriber connections are split across (default: one per 2,500)').argParser(integerIn(1, 64, 'a process count')))
    .addOption(new Option('--command-interval <ms>', 'pause between two commands of the probe that runs during each pass').default(20).argParser(integerIn(0, 60_000, 'milliseconds')))
    .addOption(new Option('--protocol-version <v>', "MQTT version of the Amora agents and the probe's controller (raw mqtt.js stays on 3.1.1, its default)").choices(['4', '5']).default('5'))
    .addOption(
      new Option('--probe-responses <mode>', "how the probe's Amora controller hears answers (its responseSubscription): fleet, one wildcard as raw's probe has; device, one SUBSCRIBE per device commanded").choices(['fleet', 'device']).default('fleet'),
    )
    .option('--json [file]', 'print the results as JSON on stdout, or write them to a file')
    .action(async (options: FleetCliOptions) => {
      const { runFleetBench } = await import('../bench/fleet-run.js');
      await runFleetBench({
        devices: options.devices,
        clients: options.clients,
        rate: options.rate,
        durationS: options.duration,
        runs: options.runs,
        broker: options.url ? { url: options.url } : options.broker,
        subscriberProcesses: options.subscriberProcesses ?? Math.ceil(options.clients / 2500),
        commandIntervalMs: options.commandInterval,
        protocolVersion: options.protocolVersion === '4' ? 4 : 5,
        probeResponses: options.probeResponses,
      }, options.json);
    });
}
