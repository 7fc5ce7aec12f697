import { z } from 'zod';
import {
  defineCommand,
  type DeviceProfile,
  type JsonObject,
} from '../../core/index.js';

/** A profile with one cheap command, so a round trip measures the transport, not a player. */
export const benchProfile: DeviceProfile = {
  name: 'bench',
  commands: [
    defineCommand({
      name: 'echo',
      description: 'answers with its parameter',
      params: z.object({ value: z.number() }),
      handler: ({ value }) => ({ value }),
    }),
  ],
};

/**
 * The ~300-byte player state the raw mqtt.js baseline publishes too. `marker` becomes
 * `playback.position`, which is how a receiver recognises the update it waits for.
 */
export function benchState(marker: number): JsonObject {
  return {
    audio: { volume: marker % 100, backend: 'virtual', device: 'null' },
    playback: { status: 'playing', current_track: 'So What', position: marker, duration: 545, playlist: 'Morning Jazz' },
    playlists: ['Morning Jazz', 'Focus', 'Road Trip'],
    system: { version: '0.1.0', uptime: 360 },
  };
}

/** The marker of a state made by benchState, if it is one. */
export function markerOf(state: JsonObject): number | undefined {
  const position = (state['playback'] as { position?: unknown } | undefined)?.position;
  return typeof position === 'number' ? position : undefined;
}
