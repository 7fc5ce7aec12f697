import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import {
  type PluginRegistry,
} from '../../core/index.js';
import { startAgentPair } from './agent-pair.js';
import type { SigningResult, TransportMeasures } from './scenario.js';
import { probeCommands, probeState, type ProbeOptions } from './transport-probe.js';

/** Throwaway bench keys: an HS256 secret and a 256-bit AES key (they protect nothing). */
const SIGNING = {
  kind: 'signing',
  signingKey: { kid: 'bench', key: 'bench-signing-secret-of-32-characters!' },
  encrypt: { sections: ['playback'], key: Buffer.alloc(32, 1).toString('base64') },
};

/**
 * Generic MQTT on one fresh embedded broker, measured twice with the same samples and pacing:
 * without middleware, then with the signing middleware at both ends (every state signed, one
 * state section encrypted, every command and response signed and verified).
 */
export async function runSigning(registry: PluginRegistry, probe: ProbeOptions): Promise<SigningResult> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  try {
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const measure = async (name: string, middleware?: readonly Record<string, unknown>[]): Promise<TransportMeasures> => {
      const pair = await startAgentPair(registry, {
        deviceId: `bench-signing-${name}-${process.pid}`,
        transport: { kind: 'mqtt', url },
        ...(middleware ? { middleware } : {}),
      });
      try {
        const state = await probeState(pair, probe);
        return { ...state, commandRoundTrip: await probeCommands(pair, probe) };
      } finally {
        await pair.stop();
      }
    };
    const off = await measure('off');
    const on = await measure('on', [SIGNING]);
    return {
      description: 'Amora with the mqtt transport on a fresh embedded aedes broker; on = HS256 detached JWS on states, commands and responses, the playback section (which carries the marker) JWE-encrypted',
      samples: probe.samples,
      pacingMs: probe.pacingMs,
      off,
      on,
    };
  } finally {
    await broker.close();
  }
}
