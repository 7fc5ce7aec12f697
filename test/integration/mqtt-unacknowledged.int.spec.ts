import { BehaviorSubject } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logging/logger.js';
import { MqttConnection } from '../../core/transport/mqtt-connection.js';
import { ExponentialBackoffRetryPolicy } from '../../core/transport/exponential-backoff.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { rawClient, TEST_RETRY } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';

// A publish the broker has not acknowledged when the connection drops is failed (`unavailable`),
// so that its caller keeps it (a transport's outbox); mqtt.js's in-memory copy, resent after the
// reconnect, tells nobody a second time.
describeWithBinaries(['mosquitto'], 'MQTT publishes cut off before their acknowledgement', () => {
  let broker: MosquittoHandle;
  let proxy: TcpProxy;

  beforeAll(async () => {
    broker = await startMosquitto({ nodelay: true, persistence: true });
    proxy = await TcpProxy.start(broker.port);
  });

  afterAll(async () => {
    await proxy?.close();
    await broker?.dispose();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion}: each is failed once, in the order sent, and the connection carries on`, async () => {
      const prefix = `unacked/v${protocolVersion}`;
      const watcher = await rawClient(broker.url);
      const arrived = new BehaviorSubject<string[]>([]);
      watcher.on('message', (topic) => arrived.next([...arrived.value, topic]));
      await watcher.subscribeAsync(`${prefix}/#`, { qos: 1 });
      const connection = new MqttConnection(
        {
          urls: [`mqtt://127.0.0.1:${proxy.port}`],
          clientId: `unacked-v${protocolVersion}`,
          protocolVersion,
          keepaliveSeconds: 30,
          connectTimeoutMs: 5_000,
          clean: false,
          sessionExpirySeconds: 60,
        },
        { onMessage: () => undefined },
        { retryPolicy: new ExponentialBackoffRetryPolicy(TEST_RETRY), clock: systemClock, logger: silentLogger },
      );
      try {
        await connection.start(new AbortController().signal);
        await connection.publish(`${prefix}/first`, 'acknowledged', { qos: 1, retain: false });

        proxy.holdReplies();
        const told: string[][] = [[], []];
        const topics = [`${prefix}/second`, `${prefix}/third`];
        const order: string[] = [];
        topics.forEach((topic, index) =>
          connection.send(topic, 'cut off', { qos: 1, retain: false }, (error) => {
            order.push(topic);
            told[index]!.push(error ? `${error.code}: ${error.message}` : 'acknowledged');
          }),
        );
        // The broker has them (and acknowledged them); the acknowledgements wait in the relay.
        await waitFor(arrived, (topicsSeen) => topics.every((topic) => topicsSeen.includes(topic)));
        expect(told).toEqual([[], []]);

        proxy.cut();
        proxy.restore();
        await waitFor(connection.status$, (status) => status.state !== 'online');
        expect(told).toEqual(topics.map((topic) => [`unavailable: connection lost before the broker acknowledged ${topic}`]));
        expect(order).toEqual(topics);

        await waitFor(connection.status$, (status) => status.state === 'online');
        await connection.publish(`${prefix}/after`, 'acknowledged', { qos: 1, retain: false });
        await waitFor(arrived, (topicsSeen) => topicsSeen.includes(`${prefix}/after`));
        // Whatever mqtt.js resent after the reconnect was acknowledged to nobody.
        expect(told.map((outcomes) => outcomes.length)).toEqual([1, 1]);
      } finally {
        await connection.stop();
        await watcher.endAsync();
      }
    });
  }
});
