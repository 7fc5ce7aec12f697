import { describe, expect, it } from 'vitest';
import {
  type PlayerState,
} from '../../core/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { MpdConnection } from './mpd-connection.js';
import { MpdStateReader } from './mpd-state-reader.js';

/** Answers the reader's reads from a scripted MPD state and counts them; the real link is covered by the integration specs. */
function scriptedMpd() {
  const mpd = { state: 'play', elapsed: 10, volume: 40, queueVersion: 7, title: 'First Light', reads: 0 };
  const connection = {
    isOpen: true,
    async sendList(commands: readonly string[]): Promise<string> {
      expect(commands).toEqual(['status', 'currentsong']);
      mpd.reads++;
      return [
        `volume: ${mpd.volume}`,
        `playlist: ${mpd.queueVersion}`,
        `state: ${mpd.state}`,
        `elapsed: ${mpd.elapsed.toFixed(3)}`,
        'duration: 60.000',
        'file: first-light.wav',
        `Title: ${mpd.title}`,
        'OK',
      ].join('\n');
    },
    async send(command: string): Promise<string> {
      if (command === 'listplaylists') return 'playlist: Morning\nLast-Modified: x\nOK\n';
      if (command === 'outputs') return 'outputid: 0\noutputname: null\noutputenabled: 1\nOK\n';
      throw new Error(`unexpected ${command}`);
    },
  };
  return { mpd, connection: connection as unknown as MpdConnection };
}

async function attached() {
  const clock = new ManualClock();
  const reader = new MpdStateReader(clock, { positionIntervalMs: 1000, commandTimeoutMs: 1000, onReadFailed: () => undefined });
  const states: PlayerState[] = [];
  reader.state$.subscribe((state) => states.push(state));
  const { mpd, connection } = scriptedMpd();
  await reader.attach(connection);
  return { clock, reader, states, mpd, connection };
}

describe('MpdStateReader', () => {
  it('publishes once after attaching, then the position every interval without asking MPD', async () => {
    const { clock, states, mpd } = await attached();
    expect(states).toHaveLength(1);
    expect(states[0]).toEqual({
      audio: { volume: 40, device: 'null', backend: 'mpd' },
      playback: { status: 'playing', current_track: 'First Light', position: 10, duration: 60, playlist: null },
      playlists: ['Morning'],
    });
    clock.advance(3000);
    expect(states.map((s) => s.playback.position)).toEqual([10, 11, 12, 13]);
    expect(mpd.reads).toBe(1);
  });

  it('reads once for the subsystems of one idle answer and emits nothing when nothing changed', async () => {
    const { reader, states, mpd } = await attached();
    reader.onChange('player');
    reader.onChange('mixer');
    reader.onChange('options');
    await new Promise((resolve) => setImmediate(resolve));
    expect(mpd.reads).toBe(2);
    expect(states).toHaveLength(1);
  });

  it('stops reporting positions when paused or detached', async () => {
    const { clock, reader, states, mpd, connection } = await attached();
    mpd.state = 'pause';
    await reader.readStatus(connection);
    clock.advance(5000);
    expect(states.map((s) => s.playback.status)).toEqual(['playing', 'paused']);
    mpd.state = 'play';
    await reader.readStatus(connection);
    reader.detach();
    expect(clock.pending).toBe(0);
  });

  it('reports the loaded playlist until the queue version moves', async () => {
    const { reader, states, mpd, connection } = await attached();
    reader.playlistLoaded('Morning');
    mpd.queueVersion = 8;
    await reader.readStatus(connection);
    expect(states.at(-1)?.playback.playlist).toBe('Morning');
    mpd.queueVersion = 9;
    await reader.readStatus(connection);
    expect(states.at(-1)?.playback.playlist).toBeNull();
  });
});
