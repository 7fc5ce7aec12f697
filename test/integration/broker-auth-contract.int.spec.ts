import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { createDevicePki, type DevicePki } from '../support/device-pki.js';
import { startMosquitto } from '../support/mosquitto.js';
import { connectRaw, refusalCode, type RawClient } from '../support/raw-mqtt-client.js';
import { describeWithBinaries } from '../support/system-deps.js';

/**
 * One contract, two brokers: the same mosquitto_passwd password file and Mosquitto ACL file
 * protect a real Mosquitto and the embedded broker, with the same outcomes for strangers, devices
 * reaching for another's topics, and users kept to the devices the ACL grants.
 */
const ACL = `
user observer
topic read amora/#

user ops
topic readwrite amora/#

user app
topic read amora/devices/player-001/#
topic write amora/devices/player-001/commands

pattern write amora/devices/%u/state
pattern write amora/devices/%u/connection
pattern write amora/devices/%u/responses
pattern write amora/devices/%u/telemetry/#
pattern read amora/devices/%u/commands
pattern read amora/devices/%u/desired
`;

const USERS = { 'player-001': 'pw-one', 'player-002': 'pw-two', app: 'pw-app', observer: 'pw-observer', ops: 'pw-ops' } as const;
type User = keyof typeof USERS;

interface BrokerUnderTest {
  readonly url: string;
  stop(): Promise<void>;
}

describeWithBinaries(['mosquitto', 'mosquitto_passwd'], 'broker authentication and ACL contract', ({ mosquitto_passwd }) => {
  let dir: string;
  let passwordFile: string;
  let aclFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-broker-auth-'));
    passwordFile = join(dir, 'passwords');
    aclFile = join(dir, 'acl');
    execFileSync(mosquitto_passwd, ['-c', '-b', passwordFile, 'player-001', USERS['player-001']]);
    for (const user of ['player-002', 'app', 'observer', 'ops'] as const) execFileSync(mosquitto_passwd, ['-b', passwordFile, user, USERS[user]]);
    // A legacy $6$ (salted SHA-512) entry beside the $7$ PBKDF2 ones.
    execFileSync(mosquitto_passwd, ['-H', 'sha512', '-b', passwordFile, 'legacy', 'pw-legacy']);
    await writeFile(aclFile, ACL);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const brokers: Record<string, () => Promise<BrokerUnderTest>> = {
    mosquitto: async () => {
      const handle = await startMosquitto({ allowAnonymous: false, extraConfig: `password_file ${passwordFile}\nacl_file ${aclFile}` });
      return { url: handle.url, stop: () => handle.dispose() };
    },
    embedded: async () => {
      const broker = await startEmbeddedBroker({ port: 0, auth: { passwordFile, aclFile } });
      return { url: `mqtt://127.0.0.1:${broker.port}`, stop: () => broker.close() };
    },
  };

  describe.each(Object.entries(brokers))('%s', (name, start) => {
    let broker: BrokerUnderTest;
    const clients: RawClient[] = [];
    const as = async (user: User, clientId = `${user}-${name}-${clients.length}`): Promise<RawClient> => {
      const client = await connectRaw(broker.url, { username: user, password: USERS[user], clientId });
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      broker = await start();
    }, 30_000);

    afterAll(async () => {
      await Promise.all(clients.map((client) => client.end()));
      await broker?.stop();
    });

    it('refuses a stranger, a wrong password and an unknown user', async () => {
      expect(await refusalCode(connectRaw(broker.url))).toBe(5);
      expect(await refusalCode(connectRaw(broker.url, { username: 'player-001', password: 'guess' }))).toBeOneOf([4, 5]);
      expect(await refusalCode(connectRaw(broker.url, { username: 'mallory', password: 'pw-one' }))).toBeOneOf([4, 5]);
    });

    it('accepts the PBKDF2 ($7$) and the SHA-512 ($6$) entries of the password file', async () => {
      expect(await refusalCode(connectRaw(broker.url, { username: 'player-001', password: USERS['player-001'] }))).toBeUndefined();
      expect(await refusalCode(connectRaw(broker.url, { username: 'legacy', password: 'pw-legacy' }))).toBeUndefined();
    });

    // Mosquitto 2.0 grants the SUBSCRIBE and filters each message; the embedded broker refuses it
    // (SUBACK 128, tested below). Either way nothing of the other device's arrives.
    it("never delivers another device's commands to a device, only its own", async () => {
      const device = await as('player-001');
      expect(await device.subscribe('amora/devices/player-002/commands')).toBeOneOf([1, 128]);
      expect(await device.subscribe('amora/devices/player-001/commands')).toBe(1);
      const ops = await as('ops');
      await ops.publish('amora/devices/player-002/commands', '{"command":"stop","command_id":"not-yours","params":{}}');
      await ops.publish('amora/devices/player-001/commands', '{"command":"play","command_id":"yours","params":{}}');
      await device.next((_topic, text) => text.includes('"yours"'));
      expect(device.received.map((m) => m.topic)).toEqual(['amora/devices/player-001/commands']);
    });

    it("drops a device's publish on another device's state, retained or not, and delivers its own", async () => {
      const observer = await as('observer');
      expect(await observer.subscribe('amora/#')).toBe(1);
      const device = await as('player-001');
      await device.publish('amora/devices/player-002/state', '{"forged":true}', true);
      await device.publish('amora/devices/player-002/connection', '{"status":"offline"}', true);
      await device.publish('amora/devices/player-001/state', '{"marker":1}');
      await observer.next((topic) => topic === 'amora/devices/player-001/state');
      expect(observer.received.map((m) => m.topic)).toEqual(['amora/devices/player-001/state']);
      // Nothing was retained either: a late reader finds no forged state.
      const late = await as('observer');
      await late.subscribe('amora/devices/player-002/#');
      await late.subscribe('amora/devices/player-001/state');
      await device.publish('amora/devices/player-001/state', '{"marker":2}');
      await late.next((_topic, text) => text === '{"marker":2}');
      expect(late.received.filter((m) => m.topic.startsWith('amora/devices/player-002/'))).toEqual([]);
    });

    it('lets a user command the devices its ACL grants and no other', async () => {
      const one = await as('player-001');
      const two = await as('player-002');
      await one.subscribe('amora/devices/player-001/commands');
      await two.subscribe('amora/devices/player-002/commands');
      const app = await as('app');
      await app.publish('amora/devices/player-002/commands', '{"command":"setVolume","command_id":"x","params":{"volume":100}}');
      await app.publish('amora/devices/player-001/commands', '{"command":"play","command_id":"y","params":{}}');
      await one.next((_topic, text) => text.includes('"y"'));
      // Had the app's command reached the second device, it would arrive before this one.
      const ops = await as('ops');
      await ops.publish('amora/devices/player-002/commands', '{"command":"play","command_id":"from-ops","params":{}}');
      await two.next((_topic, text) => text.includes('from-ops'));
      expect(two.received.map((m) => m.text)).toEqual(['{"command":"play","command_id":"from-ops","params":{}}']);
    });
  });

  // Devices by certificate: Mosquitto names the client by its CN (use_identity_as_username) and
  // the same ACL patterns apply; the embedded broker names the device by its CN.
  describe('device certificates', () => {
    let pki: DevicePki;
    let stranger: DevicePki;

    beforeAll(async () => {
      pki = createDevicePki();
      stranger = createDevicePki('Another CA');
      await writeFile(join(dir, 'ca.pem'), pki.caPem);
      await writeFile(join(dir, 'server.pem'), pki.serverCertPem);
      await writeFile(join(dir, 'server.key'), pki.serverKeyPem);
    });

    const tlsBrokers: Record<string, () => Promise<BrokerUnderTest>> = {
      mosquitto: async () => {
        const handle = await startMosquitto({
          scheme: 'mqtts',
          allowAnonymous: false,
          extraConfig: [
            `cafile ${join(dir, 'ca.pem')}`,
            `certfile ${join(dir, 'server.pem')}`,
            `keyfile ${join(dir, 'server.key')}`,
            'require_certificate true',
            'use_identity_as_username true',
            `acl_file ${aclFile}`,
          ].join('\n'),
        });
        return { url: handle.url, stop: () => handle.dispose() };
      },
      embedded: async () => {
        const broker = await startEmbeddedBroker({
          port: 0,
          auth: { aclFile },
          tls: { port: 0, cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caPem, requireClientCert: true },
        });
        return { url: `mqtts://127.0.0.1:${broker.tlsPort}`, stop: () => broker.close() };
      },
    };

    describe.each(Object.entries(tlsBrokers))('%s', (_name, start) => {
      let broker: BrokerUnderTest;
      const clients: RawClient[] = [];
      const device = async (id: string, ca = pki): Promise<RawClient> => {
        const { certPem, keyPem } = ca.client(id);
        const client = await connectRaw(broker.url, { ca: pki.caPem, cert: certPem, key: keyPem, clientId: `amora-${id}-${clients.length}` });
        clients.push(client);
        return client;
      };

      beforeAll(async () => {
        broker = await start();
      }, 30_000);

      afterAll(async () => {
        await Promise.all(clients.map((client) => client.end()));
        await broker?.stop();
      });

      it('refuses a certificate from another CA', async () => {
        expect(await refusalCode(device('player-001', stranger))).toBeDefined();
      });

      it("keeps a device to its own topics: another's commands never arrive, its forged state is dropped", async () => {
        const one = await device('player-001');
        await one.subscribe('amora/devices/player-002/commands');
        await one.subscribe('amora/devices/player-001/commands');
        const ops = await device('ops');
        await ops.subscribe('amora/devices/+/state');
        await ops.publish('amora/devices/player-002/commands', '{"command":"stop","command_id":"not-yours","params":{}}');
        await ops.publish('amora/devices/player-001/commands', '{"command":"play","command_id":"yours","params":{}}');
        await one.next((_topic, text) => text.includes('"yours"'));
        expect(one.received.map((m) => m.topic)).toEqual(['amora/devices/player-001/commands']);
        await one.publish('amora/devices/player-002/state', '{"forged":true}', true);
        await one.publish('amora/devices/player-001/state', '{"own":true}');
        await ops.next((topic) => topic === 'amora/devices/player-001/state');
        expect(ops.received.map((m) => m.topic)).toEqual(['amora/devices/player-001/state']);
      });
    });
  });
});
