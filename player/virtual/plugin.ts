import { ContainerModule } from 'inversify';
import {
  defineKind,
  definePlugin,
  PLUGIN_API_VERSION,
  TOKENS,
} from '../../core/index.js';
import { virtualPlayerOptionsSchema } from './virtual-player-options.js';
import { VirtualPlayer } from './virtual-player.js';

/** The built-in `virtual` player kind: an in-memory player, nothing to install. */
export default definePlugin({
  name: 'amora-virtual-player',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    virtual: defineKind({
      role: 'player',
      description: 'In-memory player with named playlists, driven by the agent clock (demos, dev mode, tests)',
      options: virtualPlayerOptionsSchema,
      module: () =>
        new ContainerModule((options) => {
          options.bind(TOKENS.PlayerAdapter).to(VirtualPlayer).inSingletonScope();
        }),
    }),
  },
});
