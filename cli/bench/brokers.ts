import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import { findBinary } from '../../test/support/binaries.js';
import { startMosquitto } from '../../test/support/mosquitto.js';

/** A broker the benchmark runs both implementations through, started and stopped by it. */
export interface BenchBroker {
  readonly name: string;
  readonly description: string;
  readonly url: string;
  /** The broker's own process, when it has one the bench started (Mosquitto): its scheduler figures are read from it. */
  pid?(): number | undefined;
  stop(): Promise<void>;
}

export const BROKER_NAMES = ['embedded', 'mosquitto', 'mosquitto-nagle'] as const;
export type BrokerName = (typeof BROKER_NAMES)[number];

/**
 * Starts a broker on a random port, or says why it cannot (Mosquitto not installed). Mosquitto
 * runs with `max_queued_messages 20000`; `persistence: false` when what survives a restart does
 * not matter (the fleet bench measures delivery).
 */
export async function startBenchBroker(name: BrokerName, options: { readonly persistence?: boolean } = {}): Promise<BenchBroker | string> {
  if (name === 'embedded') {
    const broker = await startEmbeddedBroker({ port: 0 });
    return { name, description: 'embedded aedes in the bench process (no-delay sockets)', url: `mqtt://127.0.0.1:${broker.port}`, stop: () => broker.close() };
  }
  if (!findBinary('mosquitto')) return 'mosquitto is not installed (apt-get install mosquitto)';
  const nodelay = name === 'mosquitto';
  const broker = await startMosquitto({ nodelay, ...options });
  return {
    name,
    description: `Mosquitto, set_tcp_nodelay ${nodelay}${nodelay ? '' : ' (its default)'}${options.persistence === false ? ', persistence false' : ''}`,
    url: broker.url,
    pid: () => broker.pid(),
    stop: () => broker.dispose(),
  };
}
