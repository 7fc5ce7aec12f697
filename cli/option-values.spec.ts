import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { integerIn, milliseconds, portNumber } from './option-values.js';

describe('option values', () => {
  it('parses integers within bounds', () => {
    expect(portNumber('0')).toBe(0);
    expect(portNumber('65535')).toBe(65_535);
    expect(milliseconds('500')).toBe(500);
    expect(integerIn(-5, 5)(' -5 ')).toBe(-5);
  });

  it.each([['abc'], [''], ['1.5'], ['1e3'], ['0x10'], ['65536'], ['-1']])('refuses %j as a port with a message saying what is expected', (value) => {
    expect(() => portNumber(value)).toThrow(InvalidArgumentError);
    expect(() => portNumber(value)).toThrow('expected a port number from 0 to 65535');
  });

  it('refuses 0 ms, which would time out before anything is sent', () => {
    expect(() => milliseconds('0')).toThrow('expected milliseconds from 1 to 86400000');
  });
});
