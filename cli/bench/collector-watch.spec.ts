import { describe, expect, it } from 'vitest';
import { watchCollector } from './collector-watch.js';

/** Young objects, `kept` of every `of` kept to the end: survivors that scavenges must promote. */
function churn(objects: number, kept: number, of: number): unknown[] {
  const survivors: unknown[] = [];
  for (let i = 0; i < objects; i++) {
    const object = { i, text: `object ${i}`, list: [i, i + 1] };
    if (i % of < kept) survivors.push(object);
  }
  return survivors;
}

describe('watchCollector', () => {
  it("counts the window's scavenges and what its survivors added to the old generation", async () => {
    const window = watchCollector();
    const survivors = churn(2_000_000, 1, 4);
    const figures = await window.stop();
    expect(survivors.length).toBe(500_000);
    expect(figures.minor.count).toBeGreaterThan(0);
    expect(figures.minor.totalMs).toBeGreaterThan(0);
    expect(figures.minor.medianMs).toBeLessThanOrEqual(figures.minor.maxMs);
    // Half a million kept objects of three parts each: far more than 10 MB promoted.
    expect(figures.oldGrowthBytes).toBeGreaterThan(10_000_000);
  });

  it('leaves out collections that begin once the window has ended, while stop() waits for their entries', async () => {
    const window = watchCollector();
    const stopped = window.stop();
    churn(2_000_000, 0, 1);
    const figures = await stopped;
    expect(figures.minor.count + figures.major.count + figures.other.count).toBe(0);
  });
});
