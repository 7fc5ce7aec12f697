import { map, type Observable } from 'rxjs';
import type { CommandResponse } from '../commands/types.js';
import { COMMAND_ERROR_STATUS } from '../commands/types.js';
import { CommandError, type AmoraErrorCode } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../state/json.js';
import type { DeviceStateMessage } from '../state/snapshot.js';
import type { PresenceState } from '../transport/connection-status.js';
import type { ControllerTransport, InvokeOptions } from '../transport/controller-transport.js';

/** What a player reports, as a client sees it: the AmoraOS twin sections, whatever is present. */
export interface PlayerStatusUpdate {
  readonly deviceId: string;
  /** `audio`, `playback`, `playlists`, `system`, ... as reported. */
  readonly state: JsonObject;
  readonly version: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

export interface PlayerClientOptions {
  /** Deadline of each command, ms (the AmoraSDK guide used 30 s). Default 30 000. */
  readonly timeoutMs?: number;
}

/**
 * The AmoraSDK guide's client API for one music player, on any ControllerTransport (generic MQTT,
 * Azure IoT Hub, AWS IoT, ...): the same calls whatever carries them. Commands resolve when the
 * device has done them and reject with a CommandError carrying the device's error code
 * (`not_found` for an unknown playlist, `invalid_params` for a volume out of range, ...), or with
 * the transport's TimeoutError when the device does not answer. Browser-safe.
 */
export class PlayerClient {
  private readonly timeoutMs: number;

  constructor(
    private readonly controller: ControllerTransport,
    readonly deviceId: string,
    options: PlayerClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  play(): Promise<void> {
    return this.run('play');
  }

  pause(): Promise<void> {
    return this.run('pause');
  }

  stop(): Promise<void> {
    return this.run('stop');
  }

  next(): Promise<void> {
    return this.run('next');
  }

  previous(): Promise<void> {
    return this.run('previous');
  }

  /** 0-100. */
  setVolume(volume: number): Promise<void> {
    return this.run('setVolume', { volume });
  }

  /** Seconds into the current track. */
  seek(position: number): Promise<void> {
    return this.run('seek', { position });
  }

  loadPlaylist(playlist: string): Promise<void> {
    return this.run('loadPlaylist', { playlist });
  }

  async getPlaylists(): Promise<readonly string[]> {
    const result = await this.call('getPlaylists');
    const playlists = isJsonObject(result) ? result['playlists'] : undefined;
    return Array.isArray(playlists) ? playlists.filter((name): name is string => typeof name === 'string') : [];
  }

  /** The player's full state (`audio`, `playback`, `playlists`), asked of the device itself. */
  async getStatus(): Promise<JsonObject> {
    const result = await this.call('getStatus');
    return isJsonObject(result) ? result : {};
  }

  /**
   * Runs a content sync and resolves with its summary once the player sees the new content. A sync
   * can take minutes: pass a `timeoutMs` to wait longer than the default, and follow reported
   * `content.sync` in status$ for progress (the sync goes on if this call gives up first).
   */
  async syncContent(options: { readonly force?: boolean; readonly timeoutMs?: number } = {}): Promise<JsonObject> {
    const result = await this.call('syncContent', { force: options.force ?? false }, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    return isJsonObject(result) ? result : {};
  }

  /** Asks the device to reboot; resolves with its answer, before it goes offline (reason `reboot`). */
  reboot(): Promise<void> {
    return this.run('reboot');
  }

  /** Reported state as it changes (the latest first, when known). */
  get status$(): Observable<PlayerStatusUpdate> {
    return this.controller.state$(this.deviceId).pipe(map(toUpdate));
  }

  /** Presence of the player as it changes. */
  get connection$(): Observable<PresenceState> {
    return this.controller.connection$(this.deviceId);
  }

  /** Calls `listener` with every status update; returns the unsubscribe function. */
  onStatusUpdate(listener: (update: PlayerStatusUpdate) => void): () => void {
    const subscription = this.status$.subscribe(listener);
    return () => subscription.unsubscribe();
  }

  /** Calls `listener` with every presence change; returns the unsubscribe function. */
  onConnectionStatus(listener: (presence: PresenceState) => void): () => void {
    const subscription = this.connection$.subscribe(listener);
    return () => subscription.unsubscribe();
  }

  private async run(command: string, params: JsonObject = {}): Promise<void> {
    await this.call(command, params);
  }

  private async call(command: string, params: JsonObject = {}, options: InvokeOptions = {}): Promise<JsonValue | undefined> {
    const response = await this.controller.invoke(this.deviceId, command, params, { timeoutMs: this.timeoutMs, ...options });
    return resultOf(response);
  }
}

/** The result of a successful response; a CommandError with the device's code otherwise. */
function resultOf(response: CommandResponse): JsonValue | undefined {
  if (response.success) return response.result;
  const { code, message, details } = response.error;
  const known = Object.hasOwn(COMMAND_ERROR_STATUS, code) ? (code as AmoraErrorCode) : 'handler_failed';
  throw new CommandError(known, message, { details: details === undefined ? { code } : details });
}

function toUpdate(message: DeviceStateMessage): PlayerStatusUpdate {
  return { deviceId: message.device_id, state: message.state, version: message.version, timestamp: message.timestamp };
}
