import type { AmoraClient, PlayerStatus } from '../../client/index.js';

/** What the app saw, for its caller (a UI would render it instead). */
export interface PlayerAppLog {
  readonly connection: boolean[];
  readonly statuses: PlayerStatus[];
  readonly answers: { readonly command: string; readonly success: boolean; readonly message: string }[];
  playlists: string[];
  status?: PlayerStatus;
}

/**
 * An app written to the AmoraSDK guide's client API: it only ever calls what the guide's
 * `AmoraClient` offers, so it runs unchanged whether `client` was made with the guide's
 * constructor (IoT Hub + Event Hub connection strings), `AmoraClient.mqtt(url, id)` or
 * `AmoraClient.awsIot({...}, id)`. It connects, follows status and connection, reads the
 * playlists, starts playback and sets the volume.
 */
export async function runPlayerApp(client: AmoraClient, volume: number): Promise<PlayerAppLog> {
  const log: PlayerAppLog = { connection: [], statuses: [], answers: [], playlists: [] };
  client.onConnectionStatus((connected) => log.connection.push(connected));
  client.onStatusUpdate((status) => log.statuses.push(status));
  await client.connect();

  log.playlists = await client.getPlaylists();

  const play = await client.play();
  log.answers.push({ command: 'play', ...play });
  const setVolume = await client.setVolume(volume);
  log.answers.push({ command: 'setVolume', ...setVolume });

  log.status = await client.getStatus();
  return log;
}
