import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { createPlayerProfile } from '../../core/player/player-profile.js';
import type { PlayerState } from '../../core/player/player-state.js';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema } from '../../player/mpd/mpd-player-options.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { rejectionCode, waitFor } from '../support/wait-for.js';

/** MPD's outputs as mpc lists them: name → enabled. */
async function outputs(mpd: MpdHandle): Promise<Record<string, boolean>> {
  const lines = (await mpd.mpc('outputs')).trim().split('\n');
  return Object.fromEntries(lines.map((line) => [/\((.*)\)/.exec(line)?.[1] ?? line, line.endsWith('is enabled')]));
}

// The AmoraOS `audio.device` (config and desired) selects an MPD output by name; checked through mpc.
describeWithBinaries(['mpd', 'mpc'], 'audio output selection on a real MPD', () => {
  let mpd: MpdHandle;
  let player: MpdPlayer;
  let agent: Agent;
  let latest: PlayerState | undefined;

  beforeAll(async () => {
    // A second output beside the harness's "null" one: a device with a DAC and a fallback.
    mpd = await startMpd({ extraConfig: 'audio_output {\n  type "null"\n  name "IQaudIODAC"\n  mixer_type "software"\n}' });
    player = new MpdPlayer(mpdPlayerOptionsSchema.parse({ host: mpd.host, port: mpd.port }), 'mpd');
    player.state$.subscribe((state) => (latest = state));
    agent = createAgent({
      deviceId: 'waybox-player-001',
      profile: createPlayerProfile(player, { audio: { device: 'IQaudIODAC', volume: 35, backend: 'pipewire' } }),
      transports: [],
      components: [player],
    });
    await agent.start();
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    await mpd?.dispose();
  });

  it('starts on the configured output and volume, reporting the configured backend', async () => {
    expect(await outputs(mpd)).toEqual({ null: false, IQaudIODAC: true });
    expect((await mpd.status())['volume']).toBe('35');
    expect(agent.state.snapshot.state['audio']).toEqual({ volume: 35, device: 'IQaudIODAC', backend: 'pipewire' });
  });

  it('follows a desired audio.device, keeps MPD\'s outputs for "default", and refuses an unknown name', async () => {
    agent.state.setDesired({ audio: { device: 'null' } });
    await waitFor(player.state$, (state) => state.audio.device === 'null');
    expect(await outputs(mpd)).toEqual({ null: true, IQaudIODAC: false });
    await player.setOutput('default');
    expect(await outputs(mpd)).toEqual({ null: true, IQaudIODAC: false });
    expect(await rejectionCode(player.setOutput('HDMI'))).toBe('not_found');
    expect(latest?.audio.device).toBe('null');
  });
});
