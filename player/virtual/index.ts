/** The virtual player: an in-memory PlayerAdapter for demos, dev mode, tests and benchmarks. */
export { VirtualPlayer } from './virtual-player.js';
export { VirtualPlayback } from './virtual-playback.js';
export {
  DEFAULT_VIRTUAL_PLAYLISTS,
  virtualPlayerOptionsSchema,
  virtualTrackSchema,
  type VirtualPlayerOptions,
  type VirtualPlayerOptionsInput,
  type VirtualTrack,
} from './virtual-player-options.js';
export { default as virtualPlayerPlugin } from './plugin.js';
