import { startAwsIotEmulator, type AwsIotEmulator } from './emulator.js';

/** An emulator and the `aws-iot` transport entry that reaches it, for benchmarks and demos. */
export interface AwsIotBenchTarget {
  readonly emulator: AwsIotEmulator;
  /** A `transports:` entry (with `kind`) for a device with this thing name; also works for controllers. */
  transportFor(thingName: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * Starts an emulator on free ports and hands out transport entries for it, with the data-plane
 * endpoint and throwaway SigV4 credentials filled in. Measuring through it: AWS IoT Core takes at
 * most 100 publishes per second per connection, and the transport paces itself below that
 * (`telemetry.maxPublishesPerSecond`, 100 here), so latency samples must be paced too or they
 * measure the pacing.
 */
export async function startAwsIotBenchTarget(): Promise<AwsIotBenchTarget> {
  const emulator = await startAwsIotEmulator();
  return {
    emulator,
    async transportFor(thingName) {
      const credentials = await emulator.createThing(thingName);
      return {
        kind: 'aws-iot',
        endpoint: emulator.endpoint,
        port: emulator.mqttPort,
        thingName,
        certPath: credentials.certPath,
        keyPath: credentials.keyPath,
        caPath: emulator.caPath,
        telemetry: { maxPublishesPerSecond: 100 },
        controller: {
          httpsEndpoint: emulator.httpsEndpoint,
          credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
        },
      };
    },
    stop: () => emulator.close(),
  };
}
