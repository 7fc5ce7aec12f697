import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AgentActivity, AgentHealth } from '../../core/index.js';
import { sampleValue } from '../../test/support/prometheus-text.js';
import { AgentMetrics } from './agent-metrics.js';

/** Health with the MQTT transport offline and its outbox at `queued`/`dropped`. */
function at(queued: number, dropped: number): AgentHealth {
  return {
    components: { mqtt: { state: 'offline', since: 1, outbox: { queued, dropped } }, 'azure-iot-hub': { state: 'online', since: 1 }, mpd: { state: 'online', since: 1 } },
  };
}

/** Health with the MQTT transport in `state`. */
function mqtt(state: 'connecting' | 'online' | 'offline'): AgentHealth {
  return { components: { mqtt: { state, since: 1 }, 'azure-iot-hub': { state: 'online', since: 1 } } };
}

function setup() {
  const health$ = new Subject<AgentHealth>();
  const activity$ = new Subject<AgentActivity>();
  const metrics = new AgentMetrics({ deviceId: 'player-001', health$, activity$ }, { transportIds: ['mqtt', 'azure-iot-hub'], version: '1.2.3' });
  metrics.start();
  return { health$, activity$, metrics, text: () => metrics.registry.metrics() };
}

describe('AgentMetrics', () => {
  it('follows outbox depth and counts drops from the running total, also across a transport restart', async () => {
    const { health$, text, metrics } = setup();
    health$.next(at(10, 0));
    health$.next(at(100, 4));
    expect(sampleValue(await text(), 'amora_outbox_queued', { transport: 'mqtt' })).toBe(100);
    expect(sampleValue(await text(), 'amora_outbox_dropped_total', { transport: 'mqtt' })).toBe(4);
    health$.next(at(0, 1)); // a fresh outbox counts from zero again
    expect(sampleValue(await text(), 'amora_outbox_dropped_total', { transport: 'mqtt' })).toBe(5);
    expect(sampleValue(await text(), 'amora_component_up', { component: 'mpd' })).toBe(1);
    expect(metrics.readiness()).toEqual({ ready: false, details: { transports: { mqtt: 'offline', 'azure-iot-hub': 'online' }, components: { mpd: 'online' } } });
    metrics.stop();
  });

  it('counts a reconnect only for a return to online, and failed publishes apart from sent ones', async () => {
    const { health$, activity$, text, metrics } = setup();
    for (const state of ['connecting', 'online', 'offline', 'connecting', 'online'] as const) health$.next(mqtt(state));
    expect(sampleValue(await text(), 'amora_transport_reconnects_total', { transport: 'mqtt' })).toBe(1);
    expect(metrics.readiness().ready).toBe(true);
    activity$.next({ type: 'state', transport: 'mqtt', ok: false, durationMs: 3 });
    activity$.next({ type: 'telemetry', transport: 'mqtt', ok: true, records: 5 });
    expect(sampleValue(await text(), 'amora_publish_failures_total', { transport: 'mqtt', class: 'state' })).toBe(1);
    expect(sampleValue(await text(), 'amora_messages_out_total', { transport: 'mqtt', class: 'state' })).toBeUndefined();
    expect(sampleValue(await text(), 'amora_messages_out_total', { transport: 'mqtt', class: 'telemetry' })).toBe(1);
    metrics.stop();
  });
});
