import { ContainerModule } from 'inversify';
import {
  defineKind,
  definePlugin,
  PLUGIN_API_VERSION,
  TOKENS,
} from '../../core/index.js';
import { mpdPlayerOptionsSchema } from './mpd-player-options.js';
import { MpdPlayer } from './mpd-player.js';

/** The built-in `mpd` player kind: a Music Player Daemon reached over TCP or a Unix socket. */
export default definePlugin({
  name: 'amora-mpd-player',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    mpd: defineKind({
      role: 'player',
      description: 'Music Player Daemon: idle-driven state, reconnect with backoff',
      options: mpdPlayerOptionsSchema,
      // A Unix socket path in a config file is relative to that file, like every other path.
      paths: ['socketPath'],
      module: () =>
        new ContainerModule((options) => {
          options.bind(TOKENS.PlayerAdapter).to(MpdPlayer).inSingletonScope();
        }),
    }),
  },
});
