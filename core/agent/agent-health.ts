import { catchError, combineLatest, distinctUntilChanged, map, Observable, of } from 'rxjs';
import type { ConnectionStatus } from '../transport/connection-status.js';
import type { AgentHealth } from './agent.types.js';
import type { ComponentStatus } from './lifecycle-manager.js';

/** Something in the health view: a component or transport, with its own status stream if it has one. */
export interface HealthSource {
  readonly id: string;
  readonly status$?: Observable<ConnectionStatus>;
}

/**
 * Merges lifecycle phases and the parts' own status streams into one AgentHealth. A failed start
 * wins (the part is offline with the start error) until the part reports online; otherwise the part's own status, once it has
 * reported one; otherwise a status derived from the lifecycle phase. A part with a status stream of
 * its own is never shown online before that stream says so: a started transport may still be connecting.
 */
export function mergeHealth(phases$: Observable<Readonly<Record<string, ComponentStatus>>>, sources: readonly HealthSource[]): Observable<AgentHealth> {
  const own$ = sources.map((source): Observable<ConnectionStatus | undefined> =>
    source.status$
      ? source.status$.pipe(
          // A broken status stream must not take the health view down with it.
          catchError(() => of<ConnectionStatus | undefined>(undefined)),
          orUndefinedUntilFirst,
        )
      : of(undefined),
  );
  return combineLatest([phases$, ...own$]).pipe(
    map(([phases, ...own]) => {
      const components: Record<string, ConnectionStatus> = {};
      sources.forEach((source, index) => {
        const phase = phases[source.id];
        const status = own[index];
        // A part that failed to start but recovered on its own (a transport still retrying) shows online.
        components[source.id] = phase?.phase === 'failed' && status?.state !== 'online' ? failedStatus(phase) : (status ?? fromPhase(phase, source.status$ !== undefined));
      });
      return { components };
    }),
    // Phases and statuses change together often; subscribers want changes, not repeats.
    distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
  );
}

/**
 * Emits `undefined` first only when the stream has no value to give at subscription: a replaying
 * status stream then shows its current state at once, not a transient "connecting".
 */
function orUndefinedUntilFirst(source: Observable<ConnectionStatus | undefined>): Observable<ConnectionStatus | undefined> {
  return new Observable((subscriber) => {
    let emitted = false;
    const subscription = source.subscribe({
      next: (value) => {
        emitted = true;
        subscriber.next(value);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    if (!emitted) subscriber.next(undefined);
    return subscription;
  });
}

function failedStatus(phase: ComponentStatus): ConnectionStatus {
  return phase.error ? { state: 'offline', since: phase.since, error: phase.error } : { state: 'offline', since: phase.since };
}

function fromPhase(phase: ComponentStatus | undefined, reportsOwnStatus: boolean): ConnectionStatus {
  const since = phase?.since ?? 0;
  switch (phase?.phase) {
    case 'running':
      return { state: reportsOwnStatus ? 'connecting' : 'online', since };
    case 'stopping':
    case 'stopped':
      return { state: 'closed', since };
    default:
      return { state: 'connecting', since };
  }
}
