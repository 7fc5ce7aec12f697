import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Logger } from '../../core/logging/logger.js';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema } from '../../player/mpd/mpd-player-options.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { waitFor } from '../support/wait-for.js';

// MPD drops a client that stays quiet for `connection_timeout` seconds (1 is the least it takes);
// idling clients are exempt. The player's command socket never idles, so MPD drops it whenever no
// command comes for a second: the next command must reopen it without the player going offline,
// and the idle socket must keep delivering changes.
describeWithBinaries(['mpd', 'mpc'], 'MpdPlayer when MPD drops its quiet command connection', () => {
  let mpd: MpdHandle;
  let player: MpdPlayer;
  const statuses: ConnectionStatus[] = [];
  const complaints: string[] = [];

  /** Records warnings and errors: a dropped command socket is routine and must not produce any. */
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (...args: unknown[]) => void complaints.push(JSON.stringify(args)),
    error: (...args: unknown[]) => void complaints.push(JSON.stringify(args)),
    child: () => logger,
  };

  /**
   * Client numbers MPD logged as timed out ("client: [N] timeout", verbose log level). The player
   * exposes nothing when its command socket closes, so MPD's own log is the observable fact.
   */
  const timedOutClients = (): number[] =>
    [...mpd.log().matchAll(/client: \[(\d+)\] timeout/g)].map((match) => Number(match[1]));

  /**
   * Resolves with the number of the first client MPD times out after client `after`. Client
   * numbers only grow, so an older timeout never counts twice. Polls MPD's log because the
   * harness has no line event; the test's timeout bounds the wait.
   */
  const nextTimeout = async (after: number): Promise<number> => {
    for (;;) {
      const client = timedOutClients().find((number) => number > after);
      if (client !== undefined) return client;
      await delay(20);
    }
  };

  beforeAll(async () => {
    mpd = await startMpd({ extraConfig: 'connection_timeout "1"\nlog_level "verbose"' });
    player = new MpdPlayer(
      mpdPlayerOptionsSchema.parse({ host: mpd.host, port: mpd.port, positionIntervalMs: 100 }),
      'mpd',
      undefined,
      undefined,
      logger,
    );
    player.status$.subscribe((status) => statuses.push(status));
    await player.start(new AbortController().signal);
  });

  afterAll(async () => {
    await player?.stop();
    await mpd?.dispose();
  });

  it('reopens the command socket for the next command and keeps following changes, never going offline', async () => {
    expect(statuses.at(-1)?.state).toBe('online');
    const before = Math.max(-1, ...timedOutClients());

    // Nothing is playing, so nothing reads state: the command socket stays quiet until MPD drops it.
    const firstDropped = await nextTimeout(before);
    await player.setVolume(37);
    expect((await mpd.status())['volume']).toBe('37');
    await waitFor(player.state$, (state) => state.audio.volume === 37);

    // Dropped again; an outside change now arrives on the idle socket (exempt from the timeout),
    // and the state read it triggers goes out on a reopened command socket.
    await nextTimeout(firstDropped);
    await mpd.mpc('volume', '55');
    await waitFor(player.state$, (state) => state.audio.volume === 55);
    expect((await player.getStatus()).audio.volume).toBe(55);

    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'online']);
    expect(complaints).toEqual([]);
  });
});
