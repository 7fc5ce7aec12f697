import { ContainerModule } from 'inversify';
import { of } from 'rxjs';
import { z } from 'zod';
import { defineKind, definePlugin, PLUGIN_API_VERSION, TOKENS } from '../../core/index.js';
import { ANC_PROFILE, createAncProfile } from './anc-profile.js';
import { AncStateStore } from './anc-state.js';

/**
 * The `anc-headset` profile as a plugin, for `amora agent`: with `device.profile: anc-headset`
 * (or AMORA_DEVICE_PROFILE=anc-headset) and this file under `plugins:` (or AMORA__plugins__0),
 * the agent runs the headset's commands, shadow fields and desired `anc_*` on its own, e.g. from
 * the ANC document's unchanged config file. Metrics and emergencies come from a program using
 * DataSyncOrchestrator, which owns the headset's sensors.
 */
export default definePlugin({
  name: 'amora-example-anc-headset',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    [ANC_PROFILE]: defineKind({
      role: 'middleware',
      description: 'the ANC headset device profile (examples/anc-headset)',
      options: z.strictObject({}),
      module: () =>
        new ContainerModule(({ bind }) => {
          bind(TOKENS.DeviceProfile).toDynamicValue((context) =>
            createAncProfile(new AncStateStore(), of({ status: 'online', device_id: context.get<string>(TOKENS.DeviceId) })),
          );
        }),
    }),
  },
});
