import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMosquitto, type MosquittoHandle } from './mosquitto.js';
import { describeWithBinaries } from './system-deps.js';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

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
    expect(await accepts(broker.port)).toBe(true);
  });

  it('stops and restarts on the same port', async () => {
    await broker.stop();
    expect(await accepts(broker.port)).toBe(false);
    await broker.restart();
    expect(await accepts(broker.port)).toBe(true);
  });
});
