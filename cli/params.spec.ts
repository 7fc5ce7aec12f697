import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from './exit-codes.js';
import { parseParams } from './params.js';

function refusal(pairs: string[]): CliError {
  try {
    parseParams(pairs);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(pairs)} to be refused`);
}

describe('parseParams', () => {
  it('gives no params for no pairs', () => {
    expect(parseParams([])).toEqual({});
  });

  it('keeps the JSON type of values that are JSON', () => {
    expect(parseParams(['volume=40', 'ratio=0.5', 'shuffle=true', 'next=null', 'tags=["a","b"]', 'range={"from":1,"to":2}', 'quoted="40"'])).toEqual({
      volume: 40,
      ratio: 0.5,
      shuffle: true,
      next: null,
      tags: ['a', 'b'],
      range: { from: 1, to: 2 },
      quoted: '40',
    });
  });

  it('keeps anything else as the string typed', () => {
    expect(parseParams(['playlist=Morning Jazz', 'id=007', 'empty=', 'broken={"a":', 'expr=a=b'])).toEqual({
      playlist: 'Morning Jazz',
      id: '007',
      empty: '',
      broken: '{"a":',
      expr: 'a=b',
    });
  });

  it.each([['volume'], ['=40'], ['']])('refuses %j, which is not key=value, as a usage error', (pair) => {
    const error = refusal([pair]);
    expect(error.message).toBe(`expected key=value, got "${pair}"`);
    expect(error.exitCode).toBe(EXIT.usage);
  });

  it.each([['__proto__'], ['constructor'], ['prototype']])('refuses the parameter name %s', (key) => {
    expect(refusal([`${key}={"polluted":true}`]).message).toBe(`"${key}" is not allowed as a parameter name`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a prototype key nested in a JSON value, naming where', () => {
    expect(refusal(['filter={"a":{"__proto__":{"x":1}}}']).message).toMatch(/^parameter filter\.a\.__proto__: /);
  });

  it('refuses a number JSON cannot carry', () => {
    expect(refusal(['volume=1e400']).message).toMatch(/^parameter volume: /);
  });

  it('refuses a key given twice', () => {
    expect(refusal(['volume=40', 'volume=50']).message).toBe('parameter "volume" is given twice');
  });

  it('returns a plain object whose keys are exactly the ones given', () => {
    const params = parseParams(['toString=1', 'hasOwnProperty=2']);
    expect(Object.keys(params)).toEqual(['toString', 'hasOwnProperty']);
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
  });
});
