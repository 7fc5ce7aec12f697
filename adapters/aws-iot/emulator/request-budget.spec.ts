import { describe, expect, it } from 'vitest';
import { RequestBudget } from './request-budget.js';

describe('RequestBudget', () => {
  it('lets a burst through, refuses the next, and refills at the rate', () => {
    let now = 0;
    const budget = new RequestBudget(2, 3, () => now);
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, true, false]);
    now = 499;
    expect(budget.take()).toBe(false);
    now = 500;
    expect(budget.take()).toBe(true);
    now = 10_000;
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, true, false]);
  });

  it('refuses a rate that could never let anything through', () => {
    expect(() => new RequestBudget(0)).toThrow(RangeError);
    expect(() => new RequestBudget(1, 0.5)).toThrow(RangeError);
  });
});
