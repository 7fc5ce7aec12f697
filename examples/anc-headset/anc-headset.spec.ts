import { describe, expect, it } from 'vitest';
import { reconcileAnc } from './anc-profile.js';
import { DataSyncOrchestrator } from './data-sync-orchestrator.js';
import { AncStateStore } from './anc-state.js';

describe('AncStateStore', () => {
  it('updates any of enabled, intensity and algorithm, and refuses bad values naming the field before changing anything', () => {
    const store = new AncStateStore();
    expect(store.updateAnc({ enabled: true, intensity: 0.85 })).toMatchObject({ anc_enabled: true, anc_intensity: 0.85, anc_algorithm: 'nlms' });
    expect(() => store.updateAnc({ enabled: false, intensity: 1.2 })).toThrow(expect.objectContaining({ code: 'invalid_params', details: { field: 'intensity' } }));
    expect(() => store.updateAnc({ algorithm: 'magic' as never })).toThrow(expect.objectContaining({ details: { field: 'algorithm' } }));
    expect(store.state).toMatchObject({ anc_enabled: true, anc_intensity: 0.85 });
  });

  it('mirrors battery and noise class from metrics, ignoring what is not a number or name', () => {
    const store = new AncStateStore();
    store.noteMetrics({ noise_type: 'office', confidence: 0.94, rms: 0.45 }, { battery_level: 85, cpu_usage: 45.2 });
    store.noteMetrics({ noise_type: 7 }, { battery_level: 'full' });
    expect(store.state).toMatchObject({ battery_level: 85, noise_type: 'office', confidence: 0.94 });
  });
});

describe('reconcileAnc', () => {
  it('turns the desired anc_* keys of a delta into one updateAncState, and nothing else', () => {
    expect(reconcileAnc({ anc_intensity: 0.9, anc_enabled: true, battery_level: 100 })).toEqual([{ command: 'updateAncState', params: { enabled: true, intensity: 0.9 } }]);
    expect(reconcileAnc({ anc_algorithm: null, uptime: 5 })).toEqual([]);
  });
});

describe('DataSyncOrchestrator.configFor', () => {
  it("maps the document's constructor arguments like its config file, batching from TELEMETRY_* variables", () => {
    const config = DataSyncOrchestrator.configFor(
      { thingName: 'anc-device-001', endpoint: 'xxxxx.iot.us-east-1.amazonaws.com', certPath: 'cert.pem', keyPath: 'private.key', rootCaPath: 'AmazonRootCA1.pem' },
      { TELEMETRY_BATCH_SIZE: '10', TELEMETRY_BATCH_INTERVAL: '30' },
    );
    expect(config.device.id).toBe('anc-device-001');
    expect(config.transports[0]).toMatchObject({ kind: 'aws-iot', thingName: 'anc-device-001', caPath: 'AmazonRootCA1.pem', topicPrefix: 'anc' });
    expect(config.telemetry).toMatchObject({ batchSize: 10, batchIntervalMs: 30_000 });
  });
});
