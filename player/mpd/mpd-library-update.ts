import { filter, firstValueFrom, race, timer, type Observable } from 'rxjs';
import type { MpdConnection } from './mpd-connection.js';
import { answerLines, parseFields } from './mpd-response.js';
import { quote } from './mpd-socket.js';

/** More changed folders than this and one full `update` is cheaper than many small ones. */
const MAX_PATH_UPDATES = 20;

/**
 * Has MPD rescan the folders holding `changed` files (paths relative to its music directory) and
 * resolves once the database update has finished: MPD answers `update` at once with a job id, so
 * we wait for its `update` idle events until `status` shows no `updating_db`. `updates$` emits for
 * every `changed: update`; the count taken before each status read means an event that arrives
 * while the read is in flight is never missed.
 */
export async function updateLibrary(
  connection: MpdConnection,
  changed: readonly string[],
  updates$: Observable<number>,
  timeoutMs: number,
): Promise<void> {
  if (changed.length === 0) return;
  let seen = 0;
  const counter = updates$.subscribe((count) => (seen = count));
  try {
    const folders = [...new Set(changed.map((path) => path.split('/').slice(0, -1).join('/')))];
    const commands = folders.includes('') || folders.length > MAX_PATH_UPDATES ? ['update'] : folders.map((folder) => `update ${quote(folder)}`);
    for (const command of commands) await connection.send(command, timeoutMs);
    for (;;) {
      const before = seen;
      const status = parseFields(answerLines(await connection.send('status', timeoutMs)));
      if (status['updating_db'] === undefined) return;
      // The timer only makes a lost event cost one more status read, never a hang.
      if (seen === before) await firstValueFrom(race(updates$.pipe(filter((count) => count > before)), timer(timeoutMs)));
    }
  } finally {
    counter.unsubscribe();
  }
}
