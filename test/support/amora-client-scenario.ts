import { expect } from 'vitest';
import type { AmoraClient, PlayerStatus } from '../../client/index.js';
import { runPlayerApp } from '../../examples/amora-client/player-app.js';

/** Resolves once `check` passes for what `read` returns, polling on a short interval. */
async function eventually<T>(read: () => T | Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The guide's client usage against a fresh player (virtual, default library): the example app
 * (runPlayerApp), then what the guide's callbacks and reads must show, then a refused command,
 * callback removal and disconnect. The same assertions whatever transport `client` is on.
 */
export async function exerciseGuideClient(client: AmoraClient): Promise<void> {
  const log = await runPlayerApp(client, 40);

  // Connection callbacks: false at registration (not connected yet), then true once connected.
  expect(log.connection).toEqual([false, true]);
  expect(log.answers).toEqual([
    { command: 'play', success: true, message: 'Playback started' },
    { command: 'setVolume', success: true, message: 'Volume set to 40' },
  ]);
  expect(await client.getPlaylists()).toEqual(expect.arrayContaining(['Morning Jazz', 'Focus', 'Road Trip']));

  // Status callbacks receive the guide's PlayerStatus: state, volume, current_song, playlist.
  const playing = await eventually(
    () => log.statuses.at(-1),
    (status) => status?.state === 'playing' && status.volume === 40,
  );
  expect(Object.keys(playing!).toSorted()).toEqual(['current_song', 'playlist', 'state', 'volume']);
  expect(playing!.current_song).not.toBeNull();
  expect(await eventually(() => client.getStatus(), (status) => status.volume === 40)).toMatchObject({ state: 'playing', volume: 40 });

  // A refusal resolves {success: false} with the device's reason; nothing throws.
  const refused = await client.setVolume(150);
  expect(refused.success).toBe(false);
  expect(refused.message).toMatch(/volume/i);

  // A removed callback hears nothing more; pause still reaches the others.
  const removed: PlayerStatus[] = [];
  const removedCallback = (status: PlayerStatus): void => void removed.push(status);
  client.onStatusUpdate(removedCallback);
  client.removeStatusUpdateCallback(removedCallback);
  expect(await client.pause()).toEqual({ success: true, message: 'Playback paused' });
  await eventually(() => log.statuses.at(-1), (status) => status?.state === 'paused');
  expect(removed).toEqual([]);

  // disconnect() tells the connection callbacks; a removed one is not told.
  const connection: boolean[] = [];
  const removedConnection = (connected: boolean): void => void connection.push(connected);
  client.onConnectionStatus(removedConnection);
  client.removeConnectionStatusCallback(removedConnection);
  await client.disconnect();
  expect(log.connection.at(-1)).toBe(false);
  expect(connection).toEqual([true]);
}
