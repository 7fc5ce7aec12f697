import { firstValueFrom, toArray, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InMemoryTransport } from '../../test/support/agent-doubles.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { silentLogger } from '../logging/logger.js';
import type { JsonObject } from '../state/json.js';
import { MiddlewareRefusal, type MessageMiddleware } from './middleware.js';
import { sealedPatch, withDeviceMiddleware } from './middleware-device-transport.js';

/** Refuses commands whose params carry `evil`; tags what it seals, so order is visible. */
function tagger(tag: string): MessageMiddleware {
  return {
    name: tag,
    async openCommand({ params }) {
      if (params['evil']) throw new MiddlewareRefusal(`${tag} says no`);
      const { [tag]: _seen, ...rest } = params;
      return rest;
    },
    async sealState(_deviceId, state) {
      return { ...state, order: [...((state['order'] as string[] | undefined) ?? []), tag] };
    },
    async openDesired(_deviceId, patch) {
      if (patch['evil']) throw new MiddlewareRefusal('no');
      return patch;
    },
  };
}

describe('withDeviceMiddleware', () => {
  it('answers a refused command unauthorized and passes the others on, in order, opened', async () => {
    const inner = new InMemoryTransport('mqtt');
    const transport = withDeviceMiddleware(inner, [tagger('a'), tagger('b')], 'player-001', silentLogger, new ManualClock(5));
    const passed = firstValueFrom(transport.commands$.pipe(take(2), toArray()));
    inner.send('play', { a: 1, b: 2 }, 'c-1');
    inner.send('stop', { evil: true }, 'c-2');
    inner.send('pause', {}, 'c-3');
    const commands = (await passed).map((command) => command.payload as JsonObject);
    expect(commands.map((command) => [command['command_id'], command['params']])).toEqual([
      ['c-1', {}],
      ['c-3', {}],
    ]);
    expect(inner.responses).toEqual([
      { command_id: 'c-2', command: 'stop', success: false, error: { code: 'unauthorized', message: 'command refused: b says no' }, timestamp: 5 },
    ]);
  });

  it('seals state in list order and drops a refused desired update', async () => {
    const inner = new InMemoryTransport('mqtt');
    const transport = withDeviceMiddleware(inner, [tagger('a'), tagger('b')], 'player-001', silentLogger, new ManualClock());
    await transport.publishState({ state: { audio: { volume: 1 } }, version: 1, timestamp: 1, metadata: {} }, { audio: { volume: 1 } });
    expect(inner.published[0]).toEqual({ version: 1, state: { audio: { volume: 1 }, order: ['a', 'b'] }, patch: { audio: { volume: 1 }, order: ['a', 'b'] } });
    const desired = firstValueFrom(transport.desired$);
    inner.desired.next({ patch: { evil: true } });
    inner.desired.next({ patch: { audio: { volume: 2 } } });
    expect(await desired).toEqual({ patch: { audio: { volume: 2 } } });
  });
});

describe('sealedPatch', () => {
  it('sends a rewritten section whole, keeps deletions and untouched sections as patched, and adds new keys', () => {
    const audio = { volume: 3 };
    const plain = { audio, playback: { status: 'play', track: 't' } };
    const sealed = { audio, playback: { amora_jwe: 'x' }, amora_sig: 's' };
    expect(sealedPatch(plain, sealed, { audio: { device: null }, playback: { track: 't' }, playlists: null })).toEqual({
      audio: { device: null },
      playback: { amora_jwe: 'x' },
      playlists: null,
      amora_sig: 's',
    });
  });
});
