import { firstValueFrom, filter, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventLog, FakePlayer, InMemoryTransport } from '../../test/support/agent-doubles.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { createPlayerProfile } from '../player/player-profile.js';
import { createAgent } from './agent.js';
import type { AgentActivity } from './agent-activity.js';

function setup() {
  const events = new EventLog();
  const clock = new ManualClock();
  const player = new FakePlayer('player', events);
  const mqtt = new InMemoryTransport('mqtt', events);
  const azure = new InMemoryTransport('azure-iot-hub', events, { failPublish: true });
  const agent = createAgent({ deviceId: 'player-001', profile: createPlayerProfile(player), transports: [mqtt, azure], components: [player], clock, telemetry: { batchSize: 1 } });
  return { agent, mqtt, azure };
}

describe('Agent activity$', () => {
  it('reports each command answered with its transport, name and code, each state publish and each desired update', async () => {
    const { agent, mqtt, azure } = setup();
    const seen: AgentActivity[] = [];
    agent.activity$.subscribe((event) => seen.push(event));
    await agent.start();
    const answered = firstValueFrom(agent.activity$.pipe(filter((e) => e.type === 'command' && e.code === 'invalid_params')));
    mqtt.send('setVolume', { volume: 40 }, 'ok-1');
    azure.send('setVolume', { volume: 400 }, 'bad-1');
    await answered;
    mqtt.desired.next({ patch: { audio: { volume: 10 } } });
    await agent.stop();
    // The invalid one is answered at once, the valid one after the player's handler: order is theirs.
    const commands = seen.filter((e) => e.type === 'command');
    expect(commands).toHaveLength(2);
    expect(commands).toEqual(expect.arrayContaining([
      { type: 'command', transport: 'mqtt', command: 'setVolume', code: 'ok', durationMs: 0 },
      { type: 'command', transport: 'azure-iot-hub', command: 'setVolume', code: 'invalid_params', durationMs: 0 },
    ]));
    expect(seen).toContainEqual({ type: 'desired', transport: 'mqtt' });
    const states = seen.filter((e) => e.type === 'state');
    expect(states.some((e) => e.transport === 'mqtt' && e.ok)).toBe(true);
    // The Azure double fails every publish: reported as failed, never as sent.
    expect(states.filter((e) => e.transport === 'azure-iot-hub').every((e) => !e.ok)).toBe(true);
    expect(states.filter((e) => e.transport === 'azure-iot-hub').length).toBeGreaterThan(0);
  });

  it('reports telemetry per transport and completes when the agent stops', async () => {
    const { agent } = setup();
    const all = firstValueFrom(agent.activity$.pipe(toArray()));
    await agent.start();
    agent.emitTelemetry('usage', { plays: 1 });
    await agent.stop();
    const telemetry = (await all).filter((e) => e.type === 'telemetry');
    expect(telemetry).toEqual([
      { type: 'telemetry', transport: 'mqtt', ok: true, records: 1 },
      { type: 'telemetry', transport: 'azure-iot-hub', ok: true, records: 1 },
    ]);
  });
});
