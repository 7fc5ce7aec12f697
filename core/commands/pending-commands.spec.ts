import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { TimeoutError, TransportError } from '../errors.js';
import { PendingCommands } from './pending-commands.js';
import type { CommandResponse } from './types.js';

const answer = (commandId: string, value = 1): CommandResponse => ({ command_id: commandId, command: 'ping', success: true, result: { value }, timestamp: 1 });

/** What a promise has come to once every microtask queued so far has run. */
async function outcome(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown } | 'pending'> {
  const pending = Symbol('pending');
  const later = new Promise<symbol>((resolve) => setImmediate(() => resolve(pending)));
  const settled = await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), later]);
  return settled === pending ? 'pending' : (settled as { value?: unknown; error?: unknown });
}

describe('PendingCommands', () => {
  it('settles every call waiting for the same command_id with its answer, and forgets them', async () => {
    const clock = new ManualClock();
    const pending = new PendingCommands(clock);
    const first = pending.add('c1', 1_000, 'ping', 'dev-1');
    const second = pending.add('c1', 1_000, 'ping', 'dev-1');
    const other = pending.add('c2', 1_000, 'ping', 'dev-1');
    expect(pending.size).toBe(2);

    pending.settle(answer('c1', 7));
    expect(await first.promise).toEqual(answer('c1', 7));
    expect(await second.promise).toEqual(answer('c1', 7));
    expect(await outcome(other.promise)).toBe('pending');
    expect(pending.size).toBe(1);

    // A second answer with the same id finds nobody.
    pending.settle(answer('c1', 8));
    pending.settle(answer('c2', 9));
    expect(await other.promise).toEqual(answer('c2', 9));
    expect(pending.size).toBe(0);
  });

  it('rejects a call nobody answers in time with a TimeoutError naming it, and then ignores its answer', async () => {
    const clock = new ManualClock();
    const pending = new PendingCommands(clock);
    const late = pending.add('c1', 500, 'reboot', 'dev-9');
    const patient = pending.add('c1', 2_000, 'reboot', 'dev-9');
    clock.advance(499);
    expect(await outcome(late.promise)).toBe('pending');
    clock.advance(1);

    const result = await outcome(late.promise);
    expect(result).not.toBe('pending');
    const error = (result as { error: unknown }).error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({
      code: 'timeout',
      message: 'no response to "reboot" (c1) from dev-9 within 500 ms',
      details: { commandId: 'c1', deviceId: 'dev-9' },
    });
    // The other call of that id still waits, and alone gets the answer.
    expect(pending.size).toBe(1);
    pending.settle(answer('c1'));
    expect(await patient.promise).toEqual(answer('c1'));
    expect(pending.size).toBe(0);
  });

  it('takes an answer after the timeout as a no-op', async () => {
    const clock = new ManualClock();
    const pending = new PendingCommands(clock);
    const call = pending.add('c1', 100, 'ping', 'dev-1');
    clock.advance(100);
    await expect(call.promise).rejects.toBeInstanceOf(TimeoutError);
    expect(pending.size).toBe(0);
    expect(() => pending.settle(answer('c1'))).not.toThrow();
    expect(pending.size).toBe(0);
  });

  it('fails one call alone, after which neither its answer nor its deadline changes anything', async () => {
    const clock = new ManualClock();
    const pending = new PendingCommands(clock);
    const failed = pending.add('c1', 100, 'ping', 'dev-1');
    const kept = pending.add('c1', 100, 'ping', 'dev-1');
    const refused = new TransportError('unavailable', 'publish refused');
    failed.fail(refused);
    await expect(failed.promise).rejects.toBe(refused);
    expect(pending.size).toBe(1);

    pending.settle(answer('c1'));
    expect(await kept.promise).toEqual(answer('c1'));
    // Failing a settled call changes nothing either.
    kept.fail(refused);
    expect(await kept.promise).toEqual(answer('c1'));
    clock.advance(1_000);
    expect(pending.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('rejects every waiting call with the given error and stops the timer at once', async () => {
    const clock = new ManualClock();
    const pending = new PendingCommands(clock);
    const calls = [pending.add('c1', 1_000, 'ping', 'a'), pending.add('c1', 1_000, 'ping', 'a'), pending.add('c2', 5_000, 'ping', 'b')];
    const closed = new TransportError('closed', 'controller stopped');
    pending.rejectAll(closed);
    for (const call of calls) await expect(call.promise).rejects.toBe(closed);
    expect(pending.size).toBe(0);
    expect(clock.pending).toBe(0);
    // Nothing fires later, and a late answer finds nobody.
    pending.settle(answer('c1'));
    clock.advance(10_000);
  });

  it('ignores an answer for a command_id nobody waits for', async () => {
    const clock = new ManualClock();
    const pending = new PendingCommands(clock);
    const call = pending.add('c1', 1_000, 'ping', 'dev-1');
    pending.settle(answer('someone-else'));
    expect(await outcome(call.promise)).toBe('pending');
    expect(pending.size).toBe(1);
    pending.settle(answer('c1'));
    await call.promise;
  });

  it('leaves no timer running once nothing is pending', async () => {
    const clock = new ManualClock();
    const pending = new PendingCommands(clock);
    for (let i = 0; i < 100; i++) pending.add(`c${i}`, 1_000, 'ping', 'dev-1');
    // One timer for all of them.
    expect(clock.pending).toBe(1);
    for (let i = 0; i < 100; i++) pending.settle(answer(`c${i}`));
    // The timer is left armed for the next command; when it fires with nothing due it stops.
    clock.advance(1_000);
    expect(clock.pending).toBe(0);
    expect(pending.size).toBe(0);
  });
});
