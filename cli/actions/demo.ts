import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import {
  buildAgent,
  parseConfig,
  type Agent,
} from '../../core/index.js';
import { createBuiltinRegistry } from '../builtins.js';
import { listenError } from '../listen-error.js';
import { createCliLogger } from '../logger.js';
import { onShutdown } from '../shutdown.js';
import { packageVersion } from '../version.js';

export interface DemoRunOptions {
  readonly port: number;
  /** 0 leaves WebSocket off. */
  readonly wsPort: number;
  readonly devices: number;
}

const ROOMS = ['Living Room', 'Kitchen', 'Studio', 'Bedroom', 'Garden', 'Office'];
const HOST = '127.0.0.1';

/**
 * The embedded broker plus `devices` virtual-player agents on it, and instructions on stdout. On
 * SIGINT/SIGTERM every agent goes offline before the broker closes, so watchers see it.
 */
export async function runDemo(options: DemoRunOptions): Promise<void> {
  const logger = createCliLogger(process.env.AMORA_LOG_LEVEL ?? 'warn');
  const broker = await startEmbeddedBroker({ host: HOST, port: options.port, ...(options.wsPort > 0 ? { wsPort: options.wsPort } : {}), logger }).catch(
    (error: unknown) => {
      throw listenError(error, HOST, { '--port': options.port, '--ws-port': options.wsPort });
    },
  );
  const url = `mqtt://${HOST}:${broker.port}`;
  const registry = createBuiltinRegistry();
  const agents: Agent[] = [];
  const abort = new AbortController();
  onShutdown(async () => {
    process.stderr.write('\nstopping: devices go offline, then the broker closes\n');
    abort.abort();
    for (const agent of agents.toReversed()) await agent.stop();
    await broker.close();
  });
  for (let i = 1; i <= options.devices; i++) {
    const id = `player-${String(i).padStart(3, '0')}`;
    const config = parseConfig(
      { device: { id, name: ROOMS[(i - 1) % ROOMS.length] }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url }] },
      { env: {} },
    );
    const agent = await buildAgent(config, registry, { logger: logger.child({ device: id }), version: packageVersion() });
    agents.push(agent);
    await agent.start(abort.signal);
  }
  process.stdout.write(instructions(url, broker.port, broker.wsPort, agents.map((agent) => agent.deviceId)));
}

function instructions(url: string, port: number, wsPort: number | undefined, ids: readonly string[]): string {
  const first = ids[0] ?? 'player-001';
  // The commands must work as printed: name the broker unless it is the default one.
  const to = port === 1883 ? '' : ` --url ${url}`;
  const mosquittoPort = port === 1883 ? '' : ` -p ${port}`;
  return `Amora Sync demo: broker on ${url}${wsPort ? ` (WebSocket ws://${HOST}:${wsPort})` : ''}
${ids.length} virtual players online: ${ids.join(', ')}

In another terminal:
  npx amora watch${to}                 # every device's state and presence
  npx amora ctl ${first} loadPlaylist "playlist=Morning Jazz"${to}
  npx amora ctl ${first} setVolume volume=40${to}
  npx amora ctl ${first} getStatus --json${to}
  mosquitto_sub${mosquittoPort} -t 'amora/devices/+/state' -v
  mosquitto_pub${mosquittoPort} -t amora/devices/${first}/commands \\
    -m '{"command":"pause","command_id":"demo-1","params":{},"timestamp":1620000000}'

Ctrl-C stops the demo cleanly.
`;
}
