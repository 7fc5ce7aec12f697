import { Container } from 'inversify';
import { filter, firstValueFrom, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deferred, EventLog, FakePlayer, InMemoryTransport, type TransportFaults } from '../../test/support/agent-doubles.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { Logger } from '../logging/logger.js';
import { createPlayerProfile } from '../player/player-profile.js';
import { TOKENS } from '../plugins/tokens.js';
import type { JsonObject } from '../state/json.js';
import { Agent, createAgent } from './agent.js';
import type { AgentOptions } from './agent.types.js';
import { agentModule } from './agent-module.js';

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** Log lines in an array, with a way to wait for one. */
class LogLines extends Array<LogLine> {
  private readonly added = new Subject<LogLine>();

  record(line: LogLine): void {
    this.push(line);
    this.added.next(line);
  }

  waitFor(test: (line: LogLine) => boolean): Promise<LogLine> {
    const found = this.find(test);
    return found ? Promise.resolve(found) : firstValueFrom(this.added.pipe(filter(test)));
  }
}

function recordingLogger(lines: LogLines): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown> | string, message?: string): void => {
      lines.record(typeof fields === 'string' ? { level, message: fields, fields: {} } : { level, message: message ?? '', fields });
    };
  const logger: Logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

function setup(overrides: Partial<AgentOptions> = {}, faults: [TransportFaults?, TransportFaults?] = []) {
  const events = new EventLog();
  const log = events.entries;
  const lines = new LogLines();
  const clock = new ManualClock();
  const player = new FakePlayer('player', events);
  const mqtt = new InMemoryTransport('mqtt', events, faults[0]);
  const azure = new InMemoryTransport('azure-iot-hub', events, faults[1]);
  const agent = createAgent({
    deviceId: 'player-001',
    profile: createPlayerProfile(player),
    transports: [mqtt, azure],
    components: [player],
    clock,
    logger: recordingLogger(lines),
    version: '1.2.3',
    telemetry: { batchSize: 1 },
    ...overrides,
  });
  return { agent, player, mqtt, azure, log, events, lines, clock };
}

const reportedVolume = (agent: Agent, volume: number) =>
  firstValueFrom(agent.state.reported$.pipe(filter((s) => (s.state['audio'] as JsonObject | undefined)?.['volume'] === volume)));

describe('Agent lifecycle', () => {
  it('starts components before transports and stops transports before components', async () => {
    const { agent, log } = setup();
    await agent.start();
    await agent.stop();
    expect(log.filter((l) => /^(start|stop) /.test(l))).toEqual([
      'start player',
      'start mqtt',
      'start azure-iot-hub',
      'stop azure-iot-hub',
      'stop mqtt',
      'stop player',
    ]);
  });

  it('keeps running when one transport fails to start and reports it in health$', async () => {
    const { agent, mqtt, azure, lines } = setup({}, [{ failStart: true }]);
    await agent.start();
    const health = await firstValueFrom(agent.health$);
    expect(health.components['mqtt']).toMatchObject({ state: 'offline', error: { message: 'mqtt refused the connection' } });
    expect(health.components['azure-iot-hub']?.state).toBe('online');
    expect(health.components['player']?.state).toBe('online');
    expect(lines.some((l) => l.level === 'error' && l.fields['component'] === 'mqtt')).toBe(true);
    // The failed transport is not fed; the healthy one is.
    expect(mqtt.published).toEqual([]);
    expect(azure.published.length).toBeGreaterThan(0);
    // It kept retrying on its own and came online: it gets the whole state from then on.
    mqtt.statuses.next({ state: 'online', since: 5 });
    expect(mqtt.published[0]?.patch).toEqual(agent.state.snapshot.state);
    expect((await firstValueFrom(agent.health$)).components['mqtt']?.state).toBe('online');
    await agent.stop();
  });

  it('abort during start stops what started and rejects', async () => {
    const { agent, log, events } = setup({}, [undefined, { hangStart: true }]);
    const controller = new AbortController();
    const starting = agent.start(controller.signal);
    await events.waitFor('start azure-iot-hub');
    controller.abort(new Error('shutting down'));
    await expect(starting).rejects.toThrow('shutting down');
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop azure-iot-hub', 'stop mqtt', 'stop player']);
  });

  it('refuses a second start', async () => {
    const { agent } = setup();
    await agent.start();
    await expect(agent.start()).rejects.toThrow('cannot start');
    await agent.stop();
  });
});

describe('Agent reported state', () => {
  it('publishes the whole state first, then patches, to every transport', async () => {
    const { agent, player, mqtt, azure } = setup();
    await agent.start();
    for (const transport of [mqtt, azure]) {
      expect(transport.published[0]?.patch).toEqual(transport.published[0]?.state);
      expect(transport.published[0]?.state).toMatchObject({
        audio: { volume: 50 },
        playback: { status: 'stopped' },
        playlists: ['Morning Jazz', 'Focus'],
        system: { version: '1.2.3', uptime: 0 },
      });
    }
    await player.setVolume(30);
    await Promise.resolve();
    for (const transport of [mqtt, azure]) {
      expect(transport.published.at(-1)).toMatchObject({ patch: { audio: { volume: 30 } }, version: agent.state.version });
    }
    await agent.stop();
  });

  it('merges changes made during a publish into the next snapshot, and with state.changes every also sends each one in order', async () => {
    for (const changes of ['latest', 'every'] as const) {
      const link = deferred();
      const { agent, mqtt } = setup({ state: { changes }, system: false }, [{ holdState: link.promise }]);
      await agent.start();
      const first = agent.state.version;
      for (const volume of [11, 12, 13]) agent.state.patch({ audio: { volume } });
      link.resolve();
      await agent.stop();
      // Snapshots: the changes made while the first one is being published leave as one (latest wins).
      expect(mqtt.published.map((p) => p.version)).toEqual([first, first + 3]);
      expect(mqtt.published.at(-1)?.patch).toEqual({ audio: { volume: 13 } });
      const records = mqtt.telemetry.filter((batch) => batch.kind === 'state_change').flatMap((batch) => batch.records.map((r) => r.data as { version: number }));
      expect(records.filter((record) => record.version > first)).toEqual(
        changes === 'latest'
          ? []
          : [11, 12, 13].map((volume, index) => ({ version: first + 1 + index, patch: { audio: { volume } } })),
      );
    }
  });

  it('a failing transport does not affect the others, and the failure is logged', async () => {
    const { agent, player, mqtt, azure, lines } = setup({}, [{ failPublish: true }]);
    await agent.start();
    await player.setVolume(20);
    await reportedVolume(agent, 20);
    await lines.waitFor((l) => l.message === 'state publish failed' && l.fields['transport'] === 'mqtt' && l.fields['version'] === agent.state.version);
    expect(azure.lastState?.['audio']).toEqual({ volume: 20 });
    expect(mqtt.published).toEqual([]);
    await agent.stop();
  });

  it('survives a throwing system extra callback', async () => {
    const { agent, clock, lines } = setup({
      system: {
        extra: () => {
          throw new Error('statfs failed');
        },
      },
    });
    await agent.start();
    clock.advance(60_000);
    expect(agent.state.snapshot.state['system']).toEqual({ version: '1.2.3', boot_time: expect.any(Number), uptime: 60 });
    expect(lines.filter((l) => l.message === 'system section callback failed')).toHaveLength(2);
    await agent.stop();
  });

  it('reports when the last command came in over each transport, at the next uptime refresh', async () => {
    const { agent, clock, mqtt, azure } = setup({ system: { uptimeIntervalMs: 60_000 } });
    await agent.start();
    const answered = firstValueFrom(mqtt.responses$);
    mqtt.send('setVolume', { volume: 40 }, 'm-1');
    await answered;
    const mqttAt = clock.now();
    expect(agent.state.snapshot.state['system']).not.toHaveProperty('last_command');
    clock.advance(30_000);
    const fromAzure = firstValueFrom(azure.responses$);
    azure.send('getPlaylists', {}, 'a-1');
    await fromAzure;
    clock.advance(30_000);
    expect(agent.state.snapshot.state['system']).toMatchObject({ uptime: 60, last_command: { mqtt: mqttAt, 'azure-iot-hub': mqttAt + 30_000 } });
    await agent.stop();
  });

  it('refreshes system.uptime from the clock and can leave the system section out', async () => {
    const { agent, clock } = setup({ system: { uptimeIntervalMs: 60_000, extra: () => ({ free_space: 1024 }) } });
    await agent.start();
    clock.advance(120_000);
    expect(agent.state.snapshot.state['system']).toEqual({ version: '1.2.3', boot_time: expect.any(Number), uptime: 120, free_space: 1024 });
    await agent.stop();

    const bare = setup({ system: false });
    await bare.agent.start();
    expect(bare.agent.state.snapshot.state['system']).toBeUndefined();
    await bare.agent.stop();
  });
});

describe('Agent commands', () => {
  it('answers each command on the transport it came from', async () => {
    const { agent, player, mqtt, azure } = setup();
    await agent.start();
    const fromMqtt = firstValueFrom(mqtt.responses$);
    mqtt.send('setVolume', { volume: 40 }, 'm-1');
    expect(await fromMqtt).toMatchObject({ command_id: 'm-1', command: 'setVolume', success: true });
    const fromAzure = firstValueFrom(azure.responses$);
    azure.send('getPlaylists', {}, 'a-1');
    expect(await fromAzure).toMatchObject({ command_id: 'a-1', success: true, result: { playlists: ['Morning Jazz', 'Focus'] } });
    expect(mqtt.responses.map((r) => r.command_id)).toEqual(['m-1']);
    expect(azure.responses.map((r) => r.command_id)).toEqual(['a-1']);
    expect(player.calls).toEqual(['setVolume 40']);
    await agent.stop();
  });

  it('answers invalid commands with a coded error', async () => {
    const { agent, mqtt } = setup();
    await agent.start();
    const answer = firstValueFrom(mqtt.responses$);
    mqtt.send('setVolume', { volume: 150 }, 'bad-1');
    expect(await answer).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'volume' } } });
    const unknown = firstValueFrom(mqtt.responses$);
    mqtt.send('dance', {}, 'bad-2');
    expect(await unknown).toMatchObject({ success: false, error: { code: 'unknown_command' } });
    await agent.stop();
  });
  it('holds each command to the payload limit of the transport that carried it', async () => {
    const { agent, mqtt, azure } = setup();
    (mqtt as { capabilities: InMemoryTransport['capabilities'] }).capabilities = { ...mqtt.capabilities, maxPayloadBytes: 1024 };
    (azure as { capabilities: InMemoryTransport['capabilities'] }).capabilities = { ...azure.capabilities, maxPayloadBytes: 512 * 1024 };
    await agent.start();
    // Over 256 KiB (the dispatcher's own default) but within the Azure transport's limit.
    const big = 'x'.repeat(300 * 1024);
    const fromAzure = firstValueFrom(azure.responses$);
    azure.send('loadPlaylist', { playlist: big }, 'big-1');
    expect(await fromAzure).toMatchObject({ command_id: 'big-1', success: false, error: { code: 'not_found' } });
    const seen = mqtt.responses.length;
    mqtt.send('loadPlaylist', { playlist: 'y'.repeat(2048) }, 'big-2');
    await agent.stop();
    expect(mqtt.responses.slice(seen).every((r) => !r.success && r.error.code === 'payload_too_large')).toBe(true);
  });
});

describe('Agent desired state', () => {
  it('reconciles desired state from any transport into commands', async () => {
    const { agent, player, azure } = setup();
    await agent.start();
    azure.desired.next({ patch: { audio: { volume: 35 }, content: { default_playlist: 'Focus' } } });
    await reportedVolume(agent, 35);
    expect(player.calls).toEqual(['loadPlaylist Focus', 'setVolume 35']);
    // Converged: later state changes do not re-run anything.
    await player.pause();
    expect(player.calls).toEqual(['loadPlaylist Focus', 'setVolume 35', 'pause']);
    await agent.stop();
  });

  it('reconciles a failing delta once, not in a loop', async () => {
    const { agent, player, mqtt, lines } = setup();
    await agent.start();
    mqtt.desired.next({ patch: { content: { default_playlist: 'Missing' } }, full: true });
    await lines.waitFor((l) => l.message === 'reconcile step failed');
    // Reported state keeps changing; the unchanged delta is not reconciled again.
    await player.setVolume(10);
    await player.setVolume(11);
    await agent.execute('getStatus');
    expect(player.calls.filter((c) => c.startsWith('loadPlaylist'))).toEqual(['loadPlaylist Missing']);
    await agent.stop();
  });

  it('does not undo a direct command with an unchanged desire; a new desired value applies', async () => {
    const { agent, player, mqtt, azure } = setup();
    await agent.start();
    mqtt.desired.next({ patch: { audio: { volume: 70 } } });
    await reportedVolume(agent, 70);
    await agent.execute('setVolume', { volume: 40 });
    // The same desire again (a reconnect's full document, another transport) changes nothing.
    mqtt.desired.next({ patch: { audio: { volume: 70 } }, full: true });
    azure.desired.next({ patch: { audio: { volume: 70 } } });
    await agent.execute('getStatus');
    expect(agent.state.snapshot.state['audio']).toMatchObject({ volume: 40 });
    mqtt.desired.next({ patch: { audio: { volume: 55 } } });
    await reportedVolume(agent, 55);
    expect(player.calls).toEqual(['setVolume 70', 'setVolume 40', 'setVolume 55']);
    await agent.stop();
  });

  it('applies a desired value only when reported state does not have it already', async () => {
    const { agent, player, mqtt } = setup();
    await agent.start();
    await agent.execute('setVolume', { volume: 30 });
    mqtt.desired.next({ patch: { audio: { volume: 30 }, playback: { status: 'stopped' } } });
    mqtt.desired.next({ patch: { audio: { volume: 31 } } });
    await reportedVolume(agent, 31);
    expect(player.calls).toEqual(['setVolume 30', 'setVolume 31']);
    await agent.stop();
  });
});

describe('Agent desired-state limits', () => {
  it('refuses an oversized desired patch: logged, counted in health$, the last good desired state kept', async () => {
    const { agent, mqtt, lines } = setup({ desired: { maxBytes: 4_096 } });
    await agent.start();
    mqtt.desired.next({ patch: { audio: { volume: 30 } } });
    await reportedVolume(agent, 30);
    for (let i = 0; i < 3; i++) mqtt.desired.next({ patch: { [`blob${i}`]: 'x'.repeat(5_000) } });
    const health = await firstValueFrom(agent.health$.pipe(filter((h) => h.desiredRefused === 3)));
    expect(health.desiredRefused).toBe(3);
    expect(agent.state.desiredState).toEqual({ audio: { volume: 30 } });
    expect(lines.filter((l) => l.message === 'desired state refused')).toHaveLength(3);
    await agent.stop();
  });
});

describe('Agent telemetry', () => {
  it('sends batches on every transport; one failing transport is logged and does not stop the others', async () => {
    const { agent, mqtt, azure, lines } = setup({}, [{ failTelemetry: true }]);
    await agent.start();
    agent.emitTelemetry('metrics', { cpu: 0.5 });
    expect(azure.telemetry).toEqual([{ kind: 'metrics', records: [{ id: expect.any(String), kind: 'metrics', data: { cpu: 0.5 }, timestamp: expect.any(Number) }] }]);
    await lines.waitFor((l) => l.message === 'telemetry publish failed' && l.fields['transport'] === 'mqtt');
    expect(mqtt.telemetry).toEqual([]);
    await agent.stop();
  });

  it('sends playerStatus messages at start, soon after each status change, and every statusIntervalMs', async () => {
    const { agent, azure, mqtt, clock } = setup({ telemetry: { statusIntervalMs: 30_000, statusMinIntervalMs: 1_000 } });
    await agent.start();
    const statuses = () => azure.telemetry.map((b) => (b.records[0]?.data as JsonObject | undefined)?.['status']);
    expect(azure.telemetry).toEqual([
      {
        kind: 'playerStatus',
        records: [
          {
            id: expect.any(String),
            kind: 'playerStatus',
            data: { messageType: 'playerStatus', deviceId: 'player-001', timestamp: '2026-01-01T00:00:00Z', status: { state: 'stopped', volume: 50, current_song: null, playlist: null } },
            timestamp: clock.now(),
          },
        ],
      },
    ]);
    expect(mqtt.telemetry).toHaveLength(1);
    // Two changes within the least interval: one message, with the latest status, when it has passed.
    await agent.execute('setVolume', { volume: 20 });
    await agent.execute('setVolume', { volume: 25 });
    expect(statuses()).toHaveLength(1);
    clock.advance(1_000);
    expect(statuses()).toMatchObject([{ volume: 50 }, { volume: 25 }]);
    // A change after a quiet second leaves at once.
    clock.advance(5_000);
    await agent.execute('loadPlaylist', { playlist: 'Focus' });
    expect(statuses()[2]).toMatchObject({ playlist: 'Focus' });
    // Nothing changes: one message per interval.
    clock.advance(30_000);
    expect(statuses()).toHaveLength(4);
    await agent.stop();
  });
});

describe('Agent graceful stop', () => {
  it('answers an in-flight command before transports stop, and refuses new ones meanwhile', async () => {
    const { agent, player, mqtt, log, events } = setup();
    await agent.start();
    const gate = deferred();
    player.seekGate = gate.promise;
    mqtt.send('seek', { position: 42 }, 'in-flight');
    await events.waitFor('player seek 42');

    const stopped = agent.stop();
    const refused = firstValueFrom(mqtt.responses$);
    mqtt.send('play', {}, 'too-late');
    expect(await refused).toMatchObject({ command_id: 'too-late', success: false, error: { code: 'unavailable' } });
    expect(log).not.toContain('stop mqtt');

    gate.resolve();
    await stopped;
    const order = log.filter((l) => l === 'respond mqtt in-flight' || l.startsWith('stop '));
    expect(order).toEqual(['respond mqtt in-flight', 'stop azure-iot-hub', 'stop mqtt', 'stop player']);
    expect(mqtt.responses.find((r) => r.command_id === 'in-flight')).toMatchObject({ success: true });
    expect(player.calls).not.toContain('play');
  });

  it('after stopTimeoutMs aborts what is still running, answers it, and stops anyway', async () => {
    const { agent, player, mqtt, log, events, clock } = setup({ stopTimeoutMs: 1_000, commands: { timeoutMs: 60_000 } });
    await agent.start();
    player.seekGate = new Promise<void>(() => undefined);
    mqtt.send('seek', { position: 1 }, 'stuck');
    await events.waitFor('player seek 1');
    const stopped = agent.stop();
    clock.advance(1_000);
    await stopped;
    expect(mqtt.responses.find((r) => r.command_id === 'stuck')).toMatchObject({ success: false, error: { code: 'unavailable' } });
    expect(log.indexOf('respond mqtt stuck')).toBeLessThan(log.indexOf('stop mqtt'));
  });

  it('stop is idempotent and works before start', async () => {
    const { agent, log } = setup();
    await Promise.all([agent.stop(), agent.stop()]);
    expect(log).toEqual([]);
  });
});

describe('Agent through DI', () => {
  it('resolves TOKENS.Agent from container bindings', async () => {
    const events = new EventLog();
    const log = events.entries;
    const player = new FakePlayer('player', events);
    const transport = new InMemoryTransport('mqtt', events);
    const container = new Container();
    container.bind(TOKENS.DeviceId).toConstantValue('player-002');
    container.bind(TOKENS.PlayerAdapter).toConstantValue(player);
    container.bind(TOKENS.DeviceTransport).toConstantValue(transport);
    container.bind(TOKENS.DeviceProfile).toConstantValue(createPlayerProfile(player));
    container.load(agentModule());
    const agent = container.get<Agent>(TOKENS.Agent);
    expect(container.get(TOKENS.Agent)).toBe(agent);
    expect(container.get(TOKENS.DeviceState)).toBe(agent.state);
    await agent.start();
    expect(agent.deviceId).toBe('player-002');
    expect(transport.lastState).toMatchObject({ audio: { volume: 50 }, system: { version: '0.0.0' } });
    await agent.stop();
    expect(log.filter((l) => l.startsWith('st'))).toEqual(['start player', 'start mqtt', 'stop mqtt', 'stop player']);
  });
});
