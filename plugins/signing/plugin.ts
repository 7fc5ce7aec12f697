import { ContainerModule } from 'inversify';
import { defineKind, definePlugin, PLUGIN_API_VERSION, TOKENS } from '../../core/index.js';
import { signingOptionsSchema } from './options.js';
import { SigningMiddleware } from './signing-middleware.js';

/**
 * The built-in `signing` middleware kind: JWS signatures on every message and JWE-encrypted state
 * sections, loaded through the same plugin API a third party uses (see docs/security.md).
 */
export default definePlugin({
  name: 'amora-signing',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    signing: defineKind({
      role: 'middleware',
      description: 'signs and verifies messages (JWS, key ids, rotation, expiry, replay) and encrypts state sections (JWE)',
      options: signingOptionsSchema,
      module: () =>
        new ContainerModule(({ bind }) => {
          bind(TOKENS.MessageMiddleware).to(SigningMiddleware).inSingletonScope();
        }),
    }),
  },
});
