// The ANC headset system of the AWS IoT document, runnable (Node). From the repository root, after `npm run build`:
//   node dist/examples/anc-headset/main.js --config examples/anc-headset/anc.json
//   node dist/examples/anc-headset/main.js            # everything from IOT_* and TELEMETRY_* variables
// Type `emergency`, `metrics`, `error`, `anc on|off`, `intensity 0.8` or `status` and Enter to act on the headset.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfigFile, parseConfig, type LoadedConfig, type Logger } from '../../core/node.js';
import { DataSyncOrchestrator } from './data-sync-orchestrator.js';

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });

const logger = pino({ level: process.env['AMORA_LOG_LEVEL'] ?? 'info' }, pino.destination({ fd: 2, sync: true })) as unknown as Logger;
// Without a file, the document's variables say everything (an empty shadow section marks the layout).
const config: LoadedConfig = values.config ? await loadConfigFile(values.config, process.env) : parseConfig({ iot: {}, shadow: {} }, { env: process.env });

const orchestrator = new DataSyncOrchestrator({ config, logger, firmwareVersion: '1.2.3' });
await orchestrator.start();
const id = orchestrator.deviceId;
console.log(`ANC headset ${id} is running: commands on anc/devices/${id}/commands, telemetry on anc/telemetry/${id}/#.
Type emergency, metrics, error, anc on|off, intensity <0-1> or status and Enter here.`);

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const [action, argument] = line.trim().split(/\s+/);
  try {
    if (action === 'emergency') orchestrator.reportEmergency({ is_emergency: true, predicted_class: 'fire_alarm', confidence: 0.94, action: 'anc_bypassed' });
    else if (action === 'metrics') {
      orchestrator.publishMetrics({
        ancMetrics: { latency_ms: 35.2, cancellation_db: 42.5, snr_improvement_db: 38.2 },
        audioMetrics: { noise_type: 'office', confidence: 0.94, rms: 0.45 },
        systemMetrics: { battery_level: 85, cpu_usage: 45.2, memory_usage: 68.5 },
      });
    } else if (action === 'error') orchestrator.publishError({ code: 'dsp_overrun', message: 'DSP buffer overrun' });
    else if (action === 'anc') orchestrator.updateAncState({ enabled: argument === 'on' });
    else if (action === 'intensity') orchestrator.updateAncState({ intensity: Number(argument) });
    else if (action === 'status') console.log(JSON.stringify(orchestrator.getStatus(), null, 2));
    else if (action) console.log('unknown action (emergency, metrics, error, anc on|off, intensity <0-1>, status)');
  } catch (error) {
    console.log((error as Error).message);
  }
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    input.close();
    void orchestrator.stop().then(() => process.exit(0));
  });
}
