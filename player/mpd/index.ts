/** The MPD player: a PlayerAdapter for a real Music Player Daemon (Node only: it opens sockets). */
export { MpdPlayer } from './mpd-player.js';
export { mpdPlayerOptionsSchema, type MpdPlayerOptions, type MpdPlayerOptionsInput } from './mpd-player-options.js';
export { default as mpdPlayerPlugin } from './plugin.js';
