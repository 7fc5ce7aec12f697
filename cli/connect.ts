import { filter, firstValueFrom, timeout } from 'rxjs';
import {
  type ConnectionStatus,
} from '../core/index.js';
import type { Observable } from 'rxjs';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Waits for a transport's first settled status: online resolves; offline with an error becomes
 * a CliError that says what could not be reached and why (the user's first question).
 */
export async function awaitOnline(status$: Observable<ConnectionStatus>, what: string, timeoutMs: number): Promise<void> {
  let settled: ConnectionStatus;
  try {
    settled = await firstValueFrom(
      status$.pipe(
        filter((s) => s.state === 'online' || s.state === 'closed' || (s.state === 'offline' && s.error !== undefined)),
        timeout({ first: timeoutMs }),
      ),
    );
  } catch {
    throw new CliError(`cannot reach ${what}: no connection after ${timeoutMs} ms`, EXIT.unreachable);
  }
  if (settled.state !== 'online') {
    const reason = settled.error ? `${settled.error.message} (${settled.error.code})` : settled.state;
    // Transports usually name the address themselves; say it once.
    throw new CliError(reason.includes(what) ? reason : `cannot reach ${what}: ${reason}`, EXIT.unreachable);
  }
}
