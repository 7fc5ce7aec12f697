import { Command } from 'commander';
import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import { buildAgent } from '../../core/agent/container.js';
import type { Agent } from '../../core/agent/agent.js';
import { parseConfig } from '../../core/config/parse.js';
import { createBuiltinRegistry } from '../builtins.js';
import { listenError } from '../listen-error.js';
import { createCliLogger } from '../logger.js';
import { onShutdown } from '../shutdown.js';
import { packageVersion } from '../version.js';

interface DemoOptions {
  readonly port: string;
  readonly wsPort: string;
  readonly devices: string;
}

const ROOMS = ['Living Room', 'Kitchen', 'Studio', 'Bedroom', 'Garden', 'Office'];

/** `amora demo` (= `npm start`): embedded broker plus virtual-player agents, nothing to install. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('embedded broker + virtual-player agents, to watch and control right away')
    .option('-p, --port <n>', 'broker TCP port', '1883')
    .option('--ws-port <n>', 'broker WebSocket port (0 = off)', '9001')
    .option('-n, --devices <n>', 'how many agents', '3')
    .action(async (options: DemoOptions) => {
      const logger = createCliLogger(process.env.AMORA_LOG_LEVEL ?? 'warn');
      const host = '127.0.0.1';
      const wsPort = Number(options.wsPort);
      const broker = await startEmbeddedBroker({ host, port: Number(options.port), ...(wsPort > 0 ? { wsPort } : {}), logger }).catch(
        (error: unknown) => {
          throw listenError(error, host);
        },
      );
      const url = `mqtt://${host}:${broker.port}`;
      const registry = createBuiltinRegistry();
      const agents: Agent[] = [];
      const abort = new AbortController();
      onShutdown(async () => {
        process.stderr.write('\nstopping: devices go offline, then the broker closes\n');
        abort.abort();
        for (const agent of agents.toReversed()) await agent.stop();
        await broker.close();
      });
      const count = Math.max(1, Math.min(Number(options.devices) || 3, 100));
      for (let i = 1; i <= count; i++) {
        const id = `player-${String(i).padStart(3, '0')}`;
        const config = parseConfig(
          { device: { id, name: ROOMS[(i - 1) % ROOMS.length] }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url }] },
          { env: {} },
        );
        const agent = await buildAgent(config, registry, { logger: logger.child({ device: id }), version: packageVersion() });
        await agent.start(abort.signal);
        agents.push(agent);
      }
      const first = agents[0]?.deviceId ?? 'player-001';
      process.stdout.write(`Amora Sync demo: broker on ${url}${broker.wsPort ? ` (WebSocket ws://${host}:${broker.wsPort})` : ''}
${agents.length} virtual players online: ${agents.map((a) => a.deviceId).join(', ')}

In another terminal:
  npx amora watch                                  # every device's state and presence
  npx amora ctl ${first} loadPlaylist "playlist=Morning Jazz"
  npx amora ctl ${first} setVolume volume=40
  npx amora ctl ${first} getStatus --json
  mosquitto_sub -p ${broker.port} -t 'amora/devices/+/state' -v
  mosquitto_pub -p ${broker.port} -t amora/devices/${first}/commands \\
    -m '{"command":"pause","command_id":"demo-1","params":{},"timestamp":1620000000}'

Ctrl-C stops the demo cleanly.
`);
    });
}
