import { BehaviorSubject, of, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { CommandResponse } from '../commands/types.js';
import type { ErrorObject } from '../errors.js';
import type { JsonObject, JsonValue } from '../state/json.js';
import type { DeviceStateMessage } from '../state/snapshot.js';
import type { ConnectionStatus, PresenceState } from '../transport/connection-status.js';
import type { ControllerTransport, InvokeOptions } from '../transport/controller-transport.js';
import { PlayerClient } from './player-client.js';

type Answer = { readonly success: true; readonly result?: JsonValue } | { readonly success: false; readonly error: ErrorObject };

/** A controller that answers from a table, recording what it was asked. */
class ScriptedController implements ControllerTransport {
  readonly id = 'scripted';
  readonly status$: Observable<ConnectionStatus> = of({ state: 'online', since: 0 });
  readonly calls: { deviceId: string; command: string; params: JsonObject; options: InvokeOptions }[] = [];
  readonly states = new BehaviorSubject<DeviceStateMessage>({ device_id: 'p1', state: { audio: { volume: 10 } }, version: 3, timestamp: 7 });

  constructor(private readonly answers: Record<string, Answer>) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  state$(): Observable<DeviceStateMessage> {
    return this.states;
  }
  connection$(): Observable<PresenceState> {
    return of<PresenceState[]>('unknown', 'online');
  }
  devices$() {
    return of([]);
  }
  async invoke(deviceId: string, command: string, params: JsonObject = {}, options: InvokeOptions = {}): Promise<CommandResponse> {
    this.calls.push({ deviceId, command, params, options });
    return { command_id: 'c', command, timestamp: 1, ...this.answers[command] } as CommandResponse;
  }
  async getState(): Promise<DeviceStateMessage | undefined> {
    return this.states.value;
  }
  async setDesired(): Promise<void> {}
}

describe('PlayerClient', () => {
  it('sends the player commands with their params and the configured deadline', async () => {
    const controller = new ScriptedController({ setVolume: { success: true }, loadPlaylist: { success: true }, play: { success: true } });
    const client = new PlayerClient(controller, 'p1', { timeoutMs: 5_000 });
    await client.setVolume(40);
    await client.loadPlaylist('Focus');
    await client.play();
    expect(controller.calls.map(({ command, params }) => ({ command, params }))).toEqual([
      { command: 'setVolume', params: { volume: 40 } },
      { command: 'loadPlaylist', params: { playlist: 'Focus' } },
      { command: 'play', params: {} },
    ]);
    expect(controller.calls.every((call) => call.deviceId === 'p1' && call.options.timeoutMs === 5_000)).toBe(true);
  });

  it('returns playlists and status from the results', async () => {
    const controller = new ScriptedController({
      getPlaylists: { success: true, result: { playlists: ['Focus', 7, 'Road Trip'] } },
      getStatus: { success: true, result: { audio: { volume: 5 } } },
    });
    const client = new PlayerClient(controller, 'p1');
    expect(await client.getPlaylists()).toEqual(['Focus', 'Road Trip']);
    expect(await client.getStatus()).toEqual({ audio: { volume: 5 } });
  });

  it('syncs content with force and its own longer deadline, and asks for a reboot', async () => {
    const controller = new ScriptedController({
      syncContent: { success: true, result: { downloaded: 2, playlists: ['Sunrise'] } },
      reboot: { success: false, error: { code: 'unsupported', message: 'reboot is not configured' } },
    });
    const client = new PlayerClient(controller, 'p1', { timeoutMs: 5_000 });
    expect(await client.syncContent({ force: true, timeoutMs: 600_000 })).toEqual({ downloaded: 2, playlists: ['Sunrise'] });
    expect(controller.calls[0]).toMatchObject({ command: 'syncContent', params: { force: true }, options: { timeoutMs: 600_000 } });
    await expect(client.reboot()).rejects.toMatchObject({ name: 'CommandError', code: 'unsupported' });
  });

  it('rejects with a CommandError carrying the device error code', async () => {
    const controller = new ScriptedController({ loadPlaylist: { success: false, error: { code: 'not_found', message: 'no playlist Jazz' } } });
    await expect(new PlayerClient(controller, 'p1').loadPlaylist('Jazz')).rejects.toMatchObject({ name: 'CommandError', code: 'not_found', message: 'no playlist Jazz' });
  });

  it('maps codes it does not know to handler_failed, keeping the original', async () => {
    const controller = new ScriptedController({ next: { success: false, error: { code: 'weird', message: 'odd' } } });
    await expect(new PlayerClient(controller, 'p1').next()).rejects.toMatchObject({ code: 'handler_failed', details: { code: 'weird' } });
  });

  it('streams status updates and presence until unsubscribed', () => {
    const controller = new ScriptedController({});
    const client = new PlayerClient(controller, 'p1');
    const updates: unknown[] = [];
    const presence: PresenceState[] = [];
    const stop = client.onStatusUpdate((update) => updates.push(update));
    client.onConnectionStatus((value) => presence.push(value))();
    controller.states.next({ device_id: 'p1', state: { audio: { volume: 11 } }, version: 4, timestamp: 8 });
    stop();
    controller.states.next({ device_id: 'p1', state: { audio: { volume: 12 } }, version: 5, timestamp: 9 });
    expect(updates).toEqual([
      { deviceId: 'p1', state: { audio: { volume: 10 } }, version: 3, timestamp: 7 },
      { deviceId: 'p1', state: { audio: { volume: 11 } }, version: 4, timestamp: 8 },
    ]);
    expect(presence).toEqual(['unknown', 'online']);
  });
});
