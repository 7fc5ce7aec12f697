import { MqttTopics } from '../../adapters/mqtt/topics.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/node.js';
import {
  type PluginRegistry,
} from '../../core/index.js';
import { startAgentPair } from './agent-pair.js';
import { runRawMqttLatency } from './raw-mqtt.js';
import type { ReferenceResult, TransportMeasures } from './scenario.js';
import { probeCommands, probeState, type ArrivalHook, type ProbeOptions } from './transport-probe.js';

/**
 * Generic MQTT, measured the way the MPD and cloud scenarios are (same samples, same pacing), on
 * a fresh embedded broker: Amora (an Agent with the `mqtt` transport and its controller), then
 * mqtt.js alone, since pacing costs time by itself on this kind of machine (see docs/benchmarks.md).
 */
export async function measureMqttReference(registry: PluginRegistry, probe: ProbeOptions): Promise<ReferenceResult> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  try {
    const mqtt = await measureAmora(registry, broker, probe);
    const raw = await runRawMqttLatency(`mqtt://127.0.0.1:${broker.port}`, probe);
    return {
      description: 'Amora with the mqtt transport on a fresh embedded aedes broker, plain TCP; raw mqtt = mqtt.js alone there',
      samples: probe.samples,
      pacingMs: probe.pacingMs,
      mqtt,
      raw,
    };
  } finally {
    await broker.close();
  }
}

/** The state update is timed at the broker and at the controller's `state$`, from the same patch. */
async function measureAmora(registry: PluginRegistry, broker: EmbeddedBroker, probe: ProbeOptions): Promise<TransportMeasures> {
  const deviceId = `bench-reference-${process.pid}`;
  const pair = await startAgentPair(registry, { deviceId, transport: { kind: 'mqtt', url: `mqtt://127.0.0.1:${broker.port}` } });
  try {
    const state = await probeState(pair, { ...probe, atService: brokerArrivals(broker, new MqttTopics().state(deviceId)) });
    return { ...state, commandRoundTrip: await probeCommands(pair, probe) };
  } finally {
    await pair.stop();
  }
}

/** aedes' own `publish` event for the state topic: the broker has accepted the update and handed it to subscribers. */
function brokerArrivals(broker: EmbeddedBroker, stateTopic: string): ArrivalHook {
  return (arrived) => {
    const listener = (packet: { topic: string }): void => {
      if (packet.topic === stateTopic) arrived();
    };
    broker.aedes.on('publish', listener);
    return () => broker.aedes.off('publish', listener);
  };
}
