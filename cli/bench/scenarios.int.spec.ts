import { describe, expect, it } from 'vitest';
import { describeWithBinaries } from '../../test/support/system-deps.js';
import { createBuiltinRegistry } from '../builtins.js';
import { runAws } from './aws.js';
import { runAzure } from './azure.js';
import { runContentSync } from './content-sync.js';
import { runDiscovery } from './discovery.js';
import { runMpd } from './mpd.js';
import { measureMqttReference } from './mqtt-reference.js';
import { runSigning } from './signing.js';
import type { LatencySummary } from './latency-recorder.js';

// The benchmark's scenarios, each run with a handful of samples so they cannot rot unnoticed.
// Only what was measured is checked (every sample completed), never how fast: speed belongs to
// `npm run bench`.
const probe = { samples: 5, warmup: 1, pacingMs: 0 };
const registry = createBuiltinRegistry();

/** How many samples each summary holds (undefined for a missing one). */
const counts = (...summaries: (LatencySummary | undefined)[]): (number | undefined)[] => summaries.map((summary) => summary?.samples);
const all = (n: number): number[] => Array.from({ length: n }, () => probe.samples);

describe('bench scenarios', () => {
  it('measures the generic MQTT reference at the broker, the controller and for commands, and mqtt.js alone', async () => {
    const { mqtt, raw } = await measureMqttReference(registry, probe);
    expect(counts(mqtt.atService, mqtt.atController, mqtt.commandRoundTrip, raw.stateLatency, raw.commandRoundTrip)).toEqual(all(5));
  });

  it('measures mqtt.js alone and generic MQTT with the signing middleware off and on, interleaved', async () => {
    const { passes } = await runSigning(registry, probe);
    expect(passes.map((pass) => pass.who)).toEqual(['raw', 'off', 'on', 'on', 'off', 'raw']);
    expect(passes.flatMap((pass) => counts(pass.state, pass.command))).toEqual(all(12));
  });

  it('measures Azure IoT Hub at the hub, at the controller pushed over the Event Hub endpoint, and for direct methods', async () => {
    const azure = await runAzure(registry, probe);
    expect(counts(azure.measures.atService, azure.measures.atController, azure.measures.commandRoundTrip)).toEqual(all(3));
    expect(azure.controllerNote).toBeUndefined();
  });

  it('measures AWS IoT Core at the shadow service, the controller and for commands at QoS 1 and 0', async () => {
    const [defaults, qos0] = await runAws(registry, probe);
    const measured = counts(defaults?.measures.atService, defaults?.measures.atController, defaults?.measures.commandRoundTrip, qos0?.measures.commandRoundTrip);
    expect(measured).toEqual(all(4));
  });
});

describeWithBinaries(['mosquitto'], 'bench scenario discovery', () => {
  it('times raw and amora discovering a fleet, alternating, the order reversed each round', async () => {
    const discovery = await runDiscovery(registry, 50);
    expect(typeof discovery === 'string' ? discovery : discovery.passes.map((pass) => pass.who)).toEqual(['raw', 'amora', 'amora', 'raw']);
  });
});

describe('bench scenario content-sync', () => {
  it('times a plain SDK download and content sync of the same blobs, alternating, the order reversed each round', async () => {
    const result = await runContentSync(2, 64 * 1024, 2);
    const passes = typeof result === 'string' ? [] : result.passes;
    expect(typeof result === 'string' ? result : passes.map((pass) => pass.who)).toEqual(['raw', 'amora', 'amora', 'raw']);
    expect(passes.every((pass) => pass.mbPerSecond > 0)).toBe(true);
  });
});

describeWithBinaries(['mpd'], 'bench scenario mpd', () => {
  it('times a volume change through MPD alone and through the agent to the controller', async () => {
    const mpd = await runMpd(registry, probe);
    expect(typeof mpd === 'string' ? mpd : counts(mpd.mpdIdle, mpd.agent)).toEqual(all(2));
  });
});
