import { firstValueFrom, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deferred, IN_MEMORY_CAPABILITIES, InMemoryTransport } from '../../test/support/agent-doubles.js';
import { silentLogger } from '../logging/logger.js';
import { DeviceState } from '../state/device-state.js';
import type { JsonObject } from '../state/json.js';
import type { StateChange, StateSnapshot } from '../state/snapshot.js';
import type { TransportCapabilities } from '../transport/device-transport.js';
import { StatePublisher } from './state-publisher.js';

/** A transport whose publishes wait until the spec lets each one through. */
class SlowTransport extends InMemoryTransport {
  readonly gates: { resolve: () => void }[] = [];
  readonly publishes = new Subject<void>();

  override async publishState(snapshot: StateSnapshot, patch: JsonObject): Promise<void> {
    const gate = deferred();
    this.gates.push(gate);
    this.published.push({ version: snapshot.version, patch, state: snapshot.state });
    this.publishes.next();
    await gate.promise;
  }
}

/** A slow transport that lets two states await their acknowledgement at once. */
class WindowTransport extends SlowTransport {
  override readonly capabilities: TransportCapabilities = { ...IN_MEMORY_CAPABILITIES, statesInFlight: 2 };
}

describe('StatePublisher', () => {
  it('sends nothing before begin, then the whole state, then exact patches', async () => {
    const state = new DeviceState();
    const transport = new InMemoryTransport('t');
    const publisher = new StatePublisher(transport, silentLogger);
    state.changes$.subscribe((change) => publisher.push(change));
    state.patch({ a: 1 });
    expect(transport.published).toEqual([]);
    publisher.begin(state.snapshot);
    await publisher.idle();
    state.patch({ b: { c: 2 } });
    await publisher.idle();
    expect(transport.published).toEqual([
      { version: 1, patch: { a: 1 }, state: { a: 1 } },
      { version: 2, patch: { b: { c: 2 } }, state: { a: 1, b: { c: 2 } } },
    ]);
  });

  it('coalesces changes that arrive during a slow publish into one diff from what was sent', async () => {
    const state = new DeviceState();
    const transport = new SlowTransport('slow');
    const publisher = new StatePublisher(transport, silentLogger);
    const changes: StateChange[] = [];
    state.changes$.subscribe((change) => {
      changes.push(change);
      publisher.push(change);
    });
    publisher.begin(state.snapshot);
    state.patch({ volume: 1, track: 'a' });
    state.patch({ volume: 2 });
    state.patch({ volume: 3, track: null });
    expect(transport.published.map((p) => p.version)).toEqual([0]);
    const next = firstValueFrom(transport.publishes);
    transport.gates[0]?.resolve();
    await next;
    expect(transport.published.at(-1)).toEqual({ version: 3, patch: { volume: 3 }, state: { volume: 3 } });
    transport.gates[1]?.resolve();
    await publisher.idle();
    expect(transport.published.map((p) => p.version)).toEqual([0, 3]);
    expect(changes).toHaveLength(3);
  });

  it("keeps as many publishes in flight as the transport's statesInFlight, then merges", async () => {
    const state = new DeviceState();
    const transport = new WindowTransport('window');
    const publisher = new StatePublisher(transport, silentLogger);
    state.changes$.subscribe((change) => publisher.push(change));
    publisher.begin(state.snapshot);
    state.patch({ volume: 1 });
    state.patch({ volume: 2, track: 'a' });
    state.patch({ volume: 3 });
    // Two in flight (the whole state, then the first change); the next two wait, merged.
    expect(transport.published.map((p) => p.version)).toEqual([0, 1]);
    let idle = false;
    void publisher.idle().then(() => (idle = true));
    const next = firstValueFrom(transport.publishes);
    transport.gates[0]?.resolve();
    await next;
    expect(transport.published.at(-1)).toEqual({ version: 3, patch: { volume: 3, track: 'a' }, state: { volume: 3, track: 'a' } });
    transport.gates[1]?.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    // The first change's publish settled; the merged one is still in flight.
    expect(idle).toBe(false);
    transport.gates[2]?.resolve();
    await publisher.idle();
    expect(idle).toBe(true);
    expect(transport.published.map((p) => p.version)).toEqual([0, 1, 3]);
  });

  it('logs a failed publish and goes on with the next change', async () => {
    const state = new DeviceState();
    const transport = new InMemoryTransport('flaky', undefined, { failPublish: true });
    const warnings: unknown[] = [];
    const publisher = new StatePublisher(transport, { ...silentLogger, warn: (fields: unknown) => void warnings.push(fields) });
    state.changes$.subscribe((change) => publisher.push(change));
    publisher.begin(state.snapshot);
    await publisher.idle();
    transport.faults.failPublish = false;
    state.patch({ a: 1 });
    await publisher.idle();
    expect(warnings).toHaveLength(1);
    expect(transport.published).toEqual([{ version: 1, patch: { a: 1 }, state: { a: 1 } }]);
  });
});
