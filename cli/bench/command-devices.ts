import type { Agent } from '../../core/index.js';
import { createBuiltinRegistry } from '../builtins.js';
import { startPairAgent } from './agent-pair.js';
import { commandDeviceId, versionOf, type CommandDevicesReply, type CommandDevicesRequest, type CommandSide } from './command-versions.js';
import { serveRequests } from './fleet-link.js';
import { answerRawCommands, connectRaw } from './raw-mqtt.js';

/**
 * The devices of the command round trip by MQTT version, in a process of their own
 * (cli/bench/command-versions.ts): an Amora agent per Amora side, an answering mqtt.js client per
 * raw side. The callers stay in the orchestrator.
 */

const stops: (() => Promise<unknown>)[] = [];

serveRequests<CommandDevicesRequest, CommandDevicesReply>(async (request, reply) => {
  if (request.type === 'start') {
    const registry = createBuiltinRegistry();
    for (const side of request.sides) stops.push(await startDevice(registry, request.url, side, request.idSuffix));
    reply({ type: 'ready' });
    return;
  }
  for (const stop of stops.splice(0).toReversed()) await stop();
  process.disconnect();
});

async function startDevice(registry: ReturnType<typeof createBuiltinRegistry>, url: string, side: CommandSide, idSuffix: string): Promise<() => Promise<unknown>> {
  const protocolVersion = versionOf(side);
  if (side.startsWith('amora')) {
    const agent: Agent = await startPairAgent(registry, { deviceId: commandDeviceId(side, idSuffix), transport: { kind: 'mqtt', url, protocolVersion } });
    return () => agent.stop();
  }
  const device = await connectRaw(url, `raw-device-v${protocolVersion}`, true, protocolVersion);
  const answering = await answerRawCommands(device, protocolVersion);
  return async () => {
    await answering.close();
    await device.endAsync();
  };
}
