import * as fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../../test/support/manual-clock.js';
import { AmoraError, CommandError, ConfigError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { JsonValue } from '../state/json.js';
import type { InboundCommand } from '../transport/device-transport.js';
import { CommandDispatcher, commandErrorStatus, type CommandDispatcherOptions } from './dispatcher.js';
import { defineCommand, type CommandRequest, type CommandSpec } from './types.js';

const START = 1_000_000;

function recordingLogger(): Logger & { lines: { level: string; fields: unknown; message?: string }[] } {
  const lines: { level: string; fields: unknown; message?: string }[] = [];
  const at = (level: string) => (fields: unknown, message?: string) => void lines.push({ level, fields, message });
  const logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger, lines };
  return logger;
}

function setup(specs: readonly CommandSpec[], options: Partial<CommandDispatcherOptions> = {}) {
  const clock = new ManualClock(START);
  const logger = recordingLogger();
  const dispatcher = new CommandDispatcher({ specs, clock, logger, ...options });
  return { clock, logger, dispatcher };
}

const request = (command: string, params: Record<string, JsonValue> = {}, command_id = 'c-1'): CommandRequest => ({
  command,
  command_id,
  params,
});

const setVolume = defineCommand({
  name: 'setVolume',
  description: 'Sets the volume',
  params: z.object({ volume: z.number().int().min(0).max(100) }),
  handler: ({ volume }) => ({ volume }),
});

/** A command whose handler rejects with `thrown`. */
const failing = (name: string, thrown: unknown) =>
  defineCommand({
    name,
    description: '',
    params: z.object({}),
    handler: async () => {
      throw thrown;
    },
  });

/** A handler that only finishes when the test says so, counting its runs. */
function controllable(name = 'slow') {
  const runs: { resolve: (value: JsonValue) => void; signal: AbortSignal }[] = [];
  const spec = defineCommand({
    name,
    description: 'waits for the test',
    params: z.object({}),
    handler: (_params, { signal }) => new Promise<JsonValue>((resolve) => runs.push({ resolve, signal })),
  });
  return { spec, runs };
}

describe('CommandDispatcher.execute', () => {
  it('runs the handler with parsed params and answers with its result', async () => {
    const { dispatcher } = setup([setVolume]);
    await expect(dispatcher.execute(request('setVolume', { volume: 40 }))).resolves.toEqual({
      command_id: 'c-1',
      command: 'setVolume',
      success: true,
      result: { volume: 40 },
      timestamp: START,
    });
  });

  it('hands the handler its command_id, the services and a live signal, destructured or not', async () => {
    const services = { player: 'the device’s own' };
    const whoAsks = defineCommand({
      name: 'whoAsks',
      description: '',
      params: z.object({}),
      handler: (_params, context) => {
        const { commandId, signal } = context;
        return { commandId, services: context.services as JsonValue, aborted: signal.aborted, same: signal === context.signal };
      },
    });
    const { dispatcher } = setup([whoAsks], { services });
    const response = await dispatcher.execute(request('whoAsks', {}, 'c-42'));
    expect(response).toMatchObject({ success: true, result: { commandId: 'c-42', services, aborted: false, same: true } });
  });

  it('omits result when the handler returns nothing, keeps a null result', async () => {
    const nothing = defineCommand({ name: 'play', description: '', params: z.object({}), handler: () => undefined });
    const nil = defineCommand({ name: 'nil', description: '', params: z.object({}), handler: () => null });
    const { dispatcher } = setup([nothing, nil]);
    const played = await dispatcher.execute(request('play'));
    expect(played).toEqual({ command_id: 'c-1', command: 'play', success: true, timestamp: START });
    expect(played).not.toHaveProperty('result');
    expect(await dispatcher.execute(request('nil', {}, 'c-2'))).toMatchObject({ success: true, result: null });
  });

  it('hands each params schema the output zod gives, for empty objects strict, loose and refined too', async () => {
    const schemas = {
      plain: z.object({}),
      strict: z.object({}).strict(),
      loose: z.object({}).loose(),
      refined: z.object({}).refine((value) => !('forbidden' in value), 'forbidden'),
      optionalKey: z.object({ level: z.number().optional() }),
    };
    const seen: Record<string, unknown[]> = {};
    const specs = Object.entries(schemas).map(([name, params]) =>
      defineCommand({ name, description: '', params, handler: (value: unknown) => void (seen[name] ??= []).push(value) }),
    );
    const { dispatcher } = setup(specs);
    const inputs: Record<string, JsonValue>[] = [{}, { extra: 1 }, { forbidden: true }, { level: 'loud' }];
    const outcomes: unknown[] = [];
    const expected: unknown[] = [];
    for (const [name, schema] of Object.entries(schemas)) {
      for (const [index, params] of inputs.entries()) {
        const response = await dispatcher.execute(request(name, params, `${name}-${index}`));
        outcomes.push([name, params, response.success ? seen[name]?.at(-1) : response.error.code]);
        const parsed = schema.safeParse(params);
        expected.push([name, params, parsed.success ? parsed.data : 'invalid_params']);
      }
    }
    expect(outcomes).toEqual(expected);
    // A handler may keep or change what it was given: each run gets its own object.
    expect(seen['plain']?.[0]).not.toBe(seen['plain']?.[1]);
  });

  it('refuses invalid params naming the field, with the issues, without running the handler', async () => {
    const handler = vi.fn<() => undefined>();
    const { dispatcher } = setup([defineCommand({ ...setVolume, handler })]);
    const response = await dispatcher.execute(request('setVolume', { volume: 140 }));
    expect(response).toMatchObject({
      success: false,
      error: {
        code: 'invalid_params',
        message: expect.stringMatching(/^invalid params: volume: /),
        details: { field: 'volume', issues: [{ path: ['volume'], code: 'too_big' }] },
      },
    });
    // details travel on the wire: they must survive JSON unchanged.
    expect(JSON.parse(JSON.stringify(response))).toEqual(response);
    expect(handler).not.toHaveBeenCalled();
    expect(commandErrorStatus('invalid_params')).toBe(400);
  });

  it('names nested fields with a dotted path', async () => {
    const nested = defineCommand({
      name: 'eq',
      description: '',
      params: z.object({ bands: z.array(z.object({ gain: z.number() })) }),
      handler: () => undefined,
    });
    const { dispatcher } = setup([nested]);
    const response = await dispatcher.execute(request('eq', { bands: [{ gain: 1 }, { gain: 'loud' }] }));
    expect(response).toMatchObject({ success: false, error: { details: { field: 'bands.1.gain' } } });
  });

  it('answers an unknown command with unknown_command and the known names', async () => {
    const { dispatcher } = setup([setVolume]);
    const response = await dispatcher.execute(request('explode'));
    expect(response).toMatchObject({
      success: false,
      error: { code: 'unknown_command', details: { command: 'explode', known: ['setVolume'] } },
    });
    expect(commandErrorStatus('unknown_command')).toBe(404);
  });

  it('keeps the code of an AmoraError thrown by the handler', async () => {
    const spec = defineCommand({
      name: 'loadPlaylist',
      description: '',
      params: z.object({ name: z.string() }),
      handler: ({ name }) => {
        throw new CommandError('not_found', `no playlist "${name}"`, { details: { name } });
      },
    });
    const { dispatcher } = setup([spec]);
    expect(await dispatcher.execute(request('loadPlaylist', { name: 'jazz' }))).toMatchObject({
      success: false,
      error: { code: 'not_found', message: 'no playlist "jazz"', details: { name: 'jazz' } },
    });
  });

  it('answers any other throw with handler_failed and its message only', async () => {
    const { dispatcher } = setup([failing('a', new TypeError('cannot read x')), failing('b', 'plain string')]);
    const a = await dispatcher.execute(request('a', {}, '1'));
    expect(a).toMatchObject({ success: false, error: { code: 'handler_failed', message: 'cannot read x' } });
    expect(JSON.stringify(a)).not.toMatch(/at .*dispatcher/); // no stack trace
    expect(await dispatcher.execute(request('b', {}, '2'))).toMatchObject({
      success: false,
      error: { code: 'handler_failed', message: 'plain string' },
    });
  });

  it('turns a synchronous throw into a response', async () => {
    const spec = defineCommand({
      name: 'sync',
      description: '',
      params: z.object({}),
      handler: () => {
        throw new Error('sync failure');
      },
    });
    const { dispatcher } = setup([spec]);
    expect(await dispatcher.execute(request('sync'))).toMatchObject({ success: false, error: { code: 'handler_failed' } });
  });

  it('refuses a result that is not JSON', async () => {
    const spec = {
      name: 'date',
      description: '',
      params: z.object({}),
      handler: () => new Date() as unknown as JsonValue,
    } satisfies CommandSpec;
    const { dispatcher } = setup([spec]);
    expect(await dispatcher.execute(request('date'))).toMatchObject({
      success: false,
      error: { code: 'handler_failed', message: expect.stringMatching(/not JSON/) },
    });
  });

  describe('expiry', () => {
    it('answers expired past expires_at without running the handler, and runs before it', async () => {
      const handler = vi.fn<() => undefined>(() => undefined);
      const play = defineCommand({ name: 'play', description: 'Plays', params: z.object({}), handler });
      const { dispatcher, clock } = setup([play]);
      const late = await dispatcher.dispatch({ payload: JSON.stringify({ command: 'play', command_id: 'e-1', params: {}, expires_at: START - 1 }) });
      expect(late).toMatchObject({ command_id: 'e-1', success: false, error: { code: 'expired', details: { expires_at: START - 1 } } });
      expect(commandErrorStatus('expired')).toBe(410);
      expect(handler).not.toHaveBeenCalled();
      clock.advance(10);
      const onTime = await dispatcher.dispatch({ payload: JSON.stringify({ command: 'play', command_id: 'e-2', expires_at: START + 10 }) });
      expect(onTime).toMatchObject({ success: true });
      expect(handler).toHaveBeenCalledTimes(1);
    });

    it("never expires by timestamp: the seeds' 2021 example still runs", async () => {
      const handler = vi.fn<() => undefined>(() => undefined);
      const play = defineCommand({ name: 'play', description: 'Plays', params: z.object({}), handler });
      const { dispatcher } = setup([play]);
      const response = await dispatcher.dispatch({ payload: '{"command":"play","command_id":"test-1","params":{},"timestamp":1620000000}' });
      expect(response).toMatchObject({ command_id: 'test-1', success: true });
      expect(handler).toHaveBeenCalledTimes(1);
    });

    it('refuses an expires_at that is not a number', async () => {
      const { dispatcher } = setup([setVolume]);
      const response = await dispatcher.dispatch({ payload: JSON.stringify({ command: 'setVolume', command_id: 'e-3', params: { volume: 1 }, expires_at: 'soon' }) });
      expect(response).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'expires_at' } } });
    });
  });

  describe('deadlines', () => {
    it('answers timeout when a handler never finishes, and aborts its signal', async () => {
      const { spec, runs } = controllable();
      const { dispatcher, clock } = setup([spec], { timeoutMs: 500 });
      const answer = dispatcher.execute(request('slow'));
      await Promise.resolve();
      clock.advance(499);
      expect(runs[0]?.signal.aborted).toBe(false);
      clock.advance(1);
      const response = await answer;
      expect(response).toMatchObject({
        success: false,
        error: { code: 'timeout', details: { timeoutMs: 500 } },
        timestamp: START + 500,
      });
      expect(runs[0]?.signal.aborted).toBe(true);
      expect(commandErrorStatus('timeout')).toBe(504);
    });

    it('shows a handler that reads its signal only after the deadline an aborted signal with the timeout', async () => {
      let late: (() => AbortSignal) | undefined;
      const spec = defineCommand({
        name: 'late',
        description: 'keeps its context for later',
        params: z.object({}),
        handler: (_params, context) => new Promise<JsonValue>(() => (late = () => context.signal)),
      });
      const { dispatcher, clock } = setup([spec], { timeoutMs: 100 });
      const answer = dispatcher.execute(request('late'));
      await Promise.resolve();
      clock.advance(100);
      expect(await answer).toMatchObject({ error: { code: 'timeout' } });
      const signal = late!();
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toMatchObject({ code: 'timeout' });
    });

    it("uses the spec's own timeout over the default", async () => {
      const { spec } = controllable();
      const { dispatcher, clock } = setup([defineCommand({ ...spec, timeoutMs: 50 })], { timeoutMs: 10_000 });
      const answer = dispatcher.execute(request('slow'));
      clock.advance(50);
      expect(await answer).toMatchObject({ error: { code: 'timeout' } });
    });

    it('defaults to 10 seconds', async () => {
      const { spec } = controllable();
      const { dispatcher, clock } = setup([spec]);
      let settled = false;
      const answer = dispatcher.execute(request('slow')).finally(() => (settled = true));
      clock.advance(9_999);
      await Promise.resolve();
      expect(settled).toBe(false);
      clock.advance(1);
      expect(await answer).toMatchObject({ error: { code: 'timeout' } });
    });

    it('does not wait for a timed-out handler that never settles: drain() resolves', async () => {
      const { spec } = controllable();
      const { dispatcher, clock } = setup([spec], { timeoutMs: 10 });
      const answer = dispatcher.execute(request('slow'));
      clock.advance(10);
      expect(await answer).toMatchObject({ error: { code: 'timeout' } });
      expect(dispatcher.inFlight).toBe(0);
      await expect(dispatcher.drain()).resolves.toBeUndefined();
    });

    it('cancels the deadline once the handler answered', async () => {
      const { dispatcher, clock } = setup([setVolume]);
      await dispatcher.execute(request('setVolume', { volume: 1 }));
      expect(clock.pending).toBe(0);
    });
  });

  describe('dedupe by command_id', () => {
    it('runs the handler once for concurrent duplicates, both get the answer', async () => {
      const { spec, runs } = controllable();
      const { dispatcher } = setup([spec]);
      const first = dispatcher.execute(request('slow'));
      const second = dispatcher.execute(request('slow'));
      await Promise.resolve();
      expect(runs).toHaveLength(1);
      runs[0]!.resolve('done');
      expect(await first).toMatchObject({ success: true, result: 'done' });
      expect(await second).toEqual(await first);
    });

    it('answers a duplicate within the window without running again, and runs after it', async () => {
      const handler = vi.fn<() => string>(() => 'ran');
      const { dispatcher, clock } = setup([{ name: 'once', description: '', params: z.object({}), handler }], { dedupeWindowMs: 60_000 });
      const first = await dispatcher.execute(request('once'));
      clock.advance(59_999);
      expect(await dispatcher.execute(request('once'))).toEqual(first);
      expect(handler).toHaveBeenCalledTimes(1);
      clock.advance(1);
      const third = await dispatcher.execute(request('once'));
      expect(handler).toHaveBeenCalledTimes(2);
      expect(third.timestamp).toBe(START + 60_000);
    });

    it('answers conflict when a command_id is reused for another command', async () => {
      const { dispatcher } = setup([setVolume, { ...setVolume, name: 'other' }]);
      await dispatcher.execute(request('setVolume', { volume: 1 }));
      expect(await dispatcher.execute(request('other', { volume: 1 }))).toMatchObject({
        command: 'other',
        success: false,
        error: { code: 'conflict', details: { command_id: 'c-1', command: 'setVolume' } },
      });
    });

    it('remembers failures too, so a retried timeout does not run twice', async () => {
      const { spec, runs } = controllable();
      const { dispatcher, clock } = setup([spec], { timeoutMs: 10 });
      const answer = dispatcher.execute(request('slow'));
      clock.advance(10);
      await answer;
      expect(await dispatcher.execute(request('slow'))).toMatchObject({ error: { code: 'timeout' } });
      expect(runs).toHaveLength(1);
    });
  });

  describe('in-flight tracking', () => {
    it('counts running handlers and drain() resolves once they answered', async () => {
      const { spec, runs } = controllable();
      const { dispatcher } = setup([spec]);
      void dispatcher.execute(request('slow', {}, 'a'));
      void dispatcher.execute(request('slow', {}, 'b'));
      expect(dispatcher.inFlight).toBe(2);
      let drained = false;
      const draining = dispatcher.drain().then(() => (drained = true));
      await Promise.resolve();
      runs[0]?.resolve(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(drained).toBe(false);
      expect(dispatcher.inFlight).toBe(1);
      runs[1]?.resolve(2);
      await draining;
      expect(dispatcher.inFlight).toBe(0);
    });

    it('drain() resolves at once when idle', async () => {
      const { dispatcher } = setup([setVolume]);
      await expect(dispatcher.drain()).resolves.toBeUndefined();
    });

    it('abortAll() answers running commands unavailable and aborts their signals', async () => {
      const { spec, runs } = controllable();
      const { dispatcher } = setup([spec]);
      const answer = dispatcher.execute(request('slow'));
      await Promise.resolve();
      dispatcher.abortAll();
      expect(await answer).toMatchObject({ success: false, error: { code: 'unavailable', message: 'the agent is stopping' } });
      expect(runs[0]?.signal.aborted).toBe(true);
      await dispatcher.drain();
    });
  });

  it('refuses two specs with the same name', () => {
    expect(() => new CommandDispatcher({ specs: [setVolume, setVolume] })).toThrow(ConfigError);
  });

  it('logs failures with the command and code', async () => {
    const { dispatcher, logger } = setup([setVolume]);
    await dispatcher.execute(request('nope'));
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ command: 'nope', code: 'unknown_command' }) }),
    );
  });
});

/** A command as it arrives from the wire. */
const wire = (json: string): InboundCommand => ({ payload: new TextEncoder().encode(json) });

describe('CommandDispatcher.dispatch', () => {
  it('decodes, runs and answers a wire command', async () => {
    const { dispatcher } = setup([setVolume]);
    const payload = new TextEncoder().encode('{"command":"setVolume","command_id":"w-1","params":{"volume":5}}');
    expect(await dispatcher.dispatch({ payload })).toMatchObject({ command_id: 'w-1', success: true, result: { volume: 5 } });
  });

  it('answers decoding errors when it can address them', async () => {
    const { dispatcher } = setup([setVolume]);
    expect(await dispatcher.dispatch({ payload: '{"command":"setVolume","command_id":"w-2","params":[]}' })).toEqual({
      command_id: 'w-2',
      command: 'setVolume',
      success: false,
      error: { code: 'invalid_params', message: 'params must be a JSON object', details: { field: 'params' } },
      timestamp: START,
    });
  });

  it('returns undefined and logs when there is no command_id to answer to', async () => {
    const { dispatcher, logger } = setup([setVolume]);
    expect(await dispatcher.dispatch({ payload: 'garbage' })).toBeUndefined();
    expect(logger.lines.some((line) => line.level === 'warn')).toBe(true);
  });

  it('applies its payload limit', async () => {
    const { dispatcher } = setup([setVolume], { maxPayloadBytes: 16 });
    expect(await dispatcher.dispatch({ payload: '{"command":"setVolume"}', requestId: 'r' })).toMatchObject({
      command_id: 'r',
      error: { code: 'payload_too_large' },
    });
    expect(commandErrorStatus('payload_too_large')).toBe(413);
  });

  it('dispatchNow answers a quick handler, a refusal and a repeat synchronously; a slow handler with a promise', async () => {
    const slow = controllable();
    const { dispatcher } = setup([setVolume, slow.spec, defineCommand({ name: 'other', description: '', params: z.object({}), handler: () => 'other' })]);
    const quick = dispatcher.dispatchNow(wire('{"command":"setVolume","command_id":"n-1","params":{"volume":7}}'));
    expect(quick).toMatchObject({ command_id: 'n-1', success: true, result: { volume: 7 } });
    expect(dispatcher.dispatchNow(wire('{"command":"setVolume","command_id":"n-1","params":{"volume":7}}'))).toBe(quick);
    expect(dispatcher.dispatchNow(wire('{"command":"other","command_id":"n-1"}'))).toMatchObject({ success: false, error: { code: 'conflict' } });
    expect(dispatcher.dispatchNow(wire('{"command":"setVolume","command_id":"n-2","params":{"volume":"loud"}}'))).toMatchObject({
      success: false,
      error: { code: 'invalid_params' },
    });
    const pending = dispatcher.dispatchNow(wire('{"command":"slow","command_id":"n-3"}'));
    expect(pending).toBeInstanceOf(Promise);
    slow.runs[0]!.resolve('done');
    await expect(pending).resolves.toMatchObject({ command_id: 'n-3', success: true, result: 'done' });
    await expect(dispatcher.answered('n-1')).resolves.toBe(quick);
  });

  it('never rejects, whatever arrives', async () => {
    const { dispatcher } = setup([setVolume]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.jsonValue(), fc.uint8Array({ maxLength: 32 })),
        fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
        fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
        async (payload, command, requestId) => {
          const response = await dispatcher.dispatch({ payload: payload as InboundCommand['payload'], command, requestId });
          // Either nothing to answer to, or an answer addressed by a string command_id.
          expect(response === undefined || typeof response.command_id === 'string').toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('commandErrorStatus', () => {
  it('maps known codes and falls back to 500', () => {
    expect(CommandDispatcher.commandErrorStatus('busy')).toBe(409);
    expect(commandErrorStatus('handler_failed')).toBe(500);
    expect(commandErrorStatus('authentication_failed')).toBe(500);
    expect(commandErrorStatus('toString')).toBe(500);
    expect(new AmoraError('busy', 'x').code).toBe('busy');
  });
});
