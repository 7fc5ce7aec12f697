import { BehaviorSubject, firstValueFrom, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../transport/connection-status.js';
import { mergeHealth } from './agent-health.js';
import type { ComponentStatus } from './lifecycle-manager.js';

const running = (id: string): ComponentStatus => ({ id, phase: 'running', since: 5 });

describe('mergeHealth', () => {
  it('shows a started part with its own status stream as connecting until that stream reports', async () => {
    const phases$ = new BehaviorSubject<Record<string, ComponentStatus>>({ aws: running('aws'), player: running('player') });
    const aws$ = new Subject<ConnectionStatus>();
    const seen: Record<string, string>[] = [];
    const subscription = mergeHealth(phases$, [{ id: 'aws', status$: aws$ }, { id: 'player' }]).subscribe((health) =>
      seen.push(Object.fromEntries(Object.entries(health.components).map(([id, s]) => [id, s.state]))),
    );
    expect(seen.at(-1)).toEqual({ aws: 'connecting', player: 'online' });
    aws$.next({ state: 'offline', since: 6, error: { code: 'transport_failed', message: 'bad certificate' } });
    expect(seen.at(-1)).toEqual({ aws: 'offline', player: 'online' });
    aws$.next({ state: 'online', since: 7 });
    expect(seen.at(-1)).toEqual({ aws: 'online', player: 'online' });
    subscription.unsubscribe();
  });

  it('shows a part that failed to start as offline with the start error until it reports online', async () => {
    const error = { code: 'transport_failed', message: 'refused' };
    const phases$ = new BehaviorSubject<Record<string, ComponentStatus>>({ mqtt: { id: 'mqtt', phase: 'failed', since: 3, error } });
    const health = await firstValueFrom(mergeHealth(phases$, [{ id: 'mqtt', status$: new Subject<ConnectionStatus>() }]));
    expect(health.components.mqtt).toEqual({ state: 'offline', since: 3, error });
  });
});
