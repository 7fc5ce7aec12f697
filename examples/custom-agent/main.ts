// A runnable ANC headset agent (Node). From the repository root, after `npm run build`:
//   node dist/examples/custom-agent/main.js --embedded-broker        # zero setup: its own broker on :1883
//   node dist/examples/custom-agent/main.js                          # a broker at $MQTT_URL (default mqtt://localhost:1883)
//   node dist/examples/custom-agent/main.js --config examples/custom-agent/agent.yaml
// Type `sos`, `charge` or `unplug` and Enter to act on the simulated headset.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfigFile, parseConfig, redactSecrets, type LoadedConfig, type Logger } from '../../core/node.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/node.js';
import { startHeadsetAgent } from './headset-agent.js';
import { HEADSET_PROFILE } from './headset-profile.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c' },
    'embedded-broker': { type: 'boolean', default: false },
  },
});

/** The config when no file is given: one MQTT broker; the environment fills in the rest. */
const DEFAULT_CONFIG = {
  device: { id: '${AMORA_DEVICE_ID:-headset-001}', name: 'ANC headset', profile: HEADSET_PROFILE },
  transports: [{ kind: 'mqtt', url: '${MQTT_URL:-mqtt://localhost:1883}' }],
  // Emergencies must not wait for a batch to fill.
  telemetry: { batchSize: 1 },
};

const logger = pino({ level: process.env['AMORA_LOG_LEVEL'] ?? 'info' }, pino.destination({ fd: 2, sync: true })) as unknown as Logger;
const config: LoadedConfig = values.config ? await loadConfigFile(values.config, process.env) : parseConfig(DEFAULT_CONFIG, { env: process.env });

let broker: EmbeddedBroker | undefined;
if (values['embedded-broker']) {
  const first = config.transports[0];
  const port = first?.kind === 'mqtt' && typeof first['url'] === 'string' ? Number(new URL(first['url']).port || 1883) : 1883;
  broker = await startEmbeddedBroker({ port, logger });
}

logger.info({ config: redactSecrets(config) }, 'starting the headset agent');
const running = await startHeadsetAgent({ config, logger, version: '1.0.0' });
const id = config.device.id;
console.log(`headset ${id} is running. Try, from another terminal:
  mosquitto_sub -t 'amora/devices/${id}/#' -v
  mosquitto_pub -t amora/devices/${id}/commands -m '{"command":"setAncMode","command_id":"c1","params":{"mode":"on"}}'
Type sos, charge or unplug and Enter here.`);

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const action = line.trim();
  if (action === 'sos') running.headset.pressSos();
  else if (action === 'charge' || action === 'unplug') running.headset.setCharging(action === 'charge');
  else if (action !== '') console.log('unknown action (sos, charge, unplug)');
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    input.close();
    void running
      .stop()
      .then(() => broker?.close())
      .then(() => process.exit(0));
  });
}
