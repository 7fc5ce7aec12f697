import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import {
  type PluginRegistry,
} from '../../core/index.js';
import { startAgentPair } from './agent-pair.js';
import { runRawMqttLatency } from './raw-mqtt.js';
import { alternatingRounds } from './rounds.js';
import type { SigningPass, SigningResult } from './scenario.js';
import { probeCommands, probeState, type ProbeOptions } from './transport-probe.js';

/** Throwaway bench keys: an HS256 secret and a 256-bit AES key (they protect nothing). */
const SIGNING = {
  kind: 'signing',
  signingKey: { kid: 'bench', key: 'bench-signing-secret-of-32-characters!' },
  encrypt: { sections: ['playback'], key: Buffer.alloc(32, 1).toString('base64') },
};

/** Rounds of the three passes; the order is reversed every round. */
const ROUNDS = 2;
const ORDER: readonly SigningPass['who'][] = ['raw', 'off', 'on'];

/**
 * Generic MQTT on one fresh embedded broker, three ways with the same samples and pacing: mqtt.js
 * alone (the floor), Amora without middleware, and Amora with the signing middleware at both ends
 * (every state signed, one state section encrypted, every command and response signed and
 * verified). ROUNDS rounds, the order reversed each round, so a machine getting busier or calmer
 * does not favour one of them.
 */
export async function runSigning(registry: PluginRegistry, probe: ProbeOptions): Promise<SigningResult> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  try {
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const measure = async (who: SigningPass['who'], round: number): Promise<SigningPass> => {
      if (who === 'raw') {
        const raw = await runRawMqttLatency(url, probe);
        return { who, state: raw.stateLatency, command: raw.commandRoundTrip };
      }
      const pair = await startAgentPair(registry, {
        deviceId: `bench-signing-${who}-${round}-${process.pid}`,
        transport: { kind: 'mqtt', url },
        ...(who === 'on' ? { middleware: [SIGNING] } : {}),
      });
      try {
        const { atController } = await probeState(pair, probe);
        return { who, state: atController!, command: await probeCommands(pair, probe) };
      } finally {
        await pair.stop();
      }
    };
    const passes: SigningPass[] = [];
    for (const { round, who } of alternatingRounds(ROUNDS, ORDER)) passes.push(await measure(who, round));
    return {
      description:
        'one aedes broker; raw = mqtt.js alone (retained QoS 1 state, QoS 1 command + response); off = Amora mqtt transport; on = the same with HS256 detached JWS on states, commands and responses and the playback section (which carries the marker) JWE-encrypted',
      samples: probe.samples,
      pacingMs: probe.pacingMs,
      passes,
    };
  } finally {
    await broker.close();
  }
}
