import { afterAll, beforeAll, expect, it } from 'vitest';
import { canConnect, startMosquitto, type MosquittoHandle } from './mosquitto.js';
import { describeWithBinaries } from './system-deps.js';

describeWithBinaries(['mosquitto'], 'startMosquitto', () => {
  let broker: MosquittoHandle;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.dispose();
  });

  it('listens on a random loopback port with no-delay set', async () => {
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    expect(await canConnect(broker.port)).toBe(true);
  });

  it('stops and restarts on the same port', async () => {
    await broker.stop();
    expect(await canConnect(broker.port)).toBe(false);
    await broker.restart();
    expect(await canConnect(broker.port)).toBe(true);
  });
});
