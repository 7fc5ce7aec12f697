import type iothub from 'azure-iothub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceCertificate, startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { azureDevice, serviceSdk, statusIs } from './azure-support.js';

/** The emulator's identity registry and twin queries, driven by the unmodified azure-iothub Registry. */
describe('Azure IoT Hub emulator: registry and queries (azure-iothub Registry)', () => {
  let hub: AzureIotHubEmulator;
  let registry: InstanceType<typeof iothub.Registry>;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, eventHub: false });
    registry = serviceSdk(hub).registry;
  });
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
    await hub?.close();
  });

  /** Connects our Azure transport (the stock device SDK underneath) and waits until it is online. */
  async function connect(deviceId: string, options: Parameters<typeof azureDevice>[2] = {}): Promise<ReturnType<typeof azureDevice>> {
    const device = azureDevice(hub, deviceId, options);
    stops.push(() => device.stop());
    await device.start(new AbortController().signal);
    return device;
  }

  it('creates a device with generated SAS keys that it then connects with; refuses a duplicate; deletes', async () => {
    const { responseBody: created } = await registry.create({ deviceId: 'reg-sas' });
    const key = created.authentication?.symmetricKey?.primaryKey;
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(created.authentication?.symmetricKey?.secondaryKey).not.toBe(key);
    await expect(registry.create({ deviceId: 'reg-sas' })).rejects.toMatchObject({ name: 'DeviceAlreadyExistsError' });

    const device = await connect('reg-sas', { connectionString: `HostName=${hub.host}:${hub.mqttPort};DeviceId=reg-sas;SharedAccessKey=${key}` });
    await statusIs(device.status$, 'online');
    await device.publishState({ state: { volume: 5 }, version: 1, timestamp: 1, metadata: {} }, {});
    expect((await registry.getTwin('reg-sas')).responseBody.properties.reported['volume']).toBe(5);

    const { responseBody: fetched } = await registry.get('reg-sas');
    expect(fetched).toMatchObject({ deviceId: 'reg-sas', status: 'enabled', connectionState: 'Connected' });
    // Deleting the identity cuts the device off, as on the hub.
    const cutOff = statusIs(device.status$, 'offline');
    await registry.delete('reg-sas');
    await cutOff;
    await expect(registry.get('reg-sas')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  it('takes given keys, updates the status with If-Match, and lists devices', async () => {
    const primaryKey = Buffer.alloc(32, 1).toString('base64');
    const secondaryKey = Buffer.alloc(32, 2).toString('base64');
    await registry.create({ deviceId: 'reg-given', authentication: { symmetricKey: { primaryKey, secondaryKey } } });
    expect(hub.registry.getDevice('reg-given')?.primaryKey).toBe(primaryKey);
    const { responseBody: updated } = await registry.update({ deviceId: 'reg-given', status: 'disabled' });
    expect(updated.status).toBe('disabled');
    const { responseBody: devices } = await registry.list();
    expect(devices.map((device) => device.deviceId)).toContain('reg-given');
  });

  it('creates X.509 devices: a CA-signed one connects with a certificate from the emulator CA, a self-signed one by thumbprint', async () => {
    await registry.create({ deviceId: 'reg-ca', authentication: { type: 'certificateAuthority' } } as never);
    const issued = await hub.issueDeviceCertificate('reg-ca');
    const device = await connect('reg-ca', { x509: { cert: issued.certPem, key: issued.keyPem } });
    await statusIs(device.status$, 'online');

    // A certificate the hub's CA did not sign, even with the right common name, is refused.
    const stranger = await createDeviceCertificate('reg-ca');
    const impostor = await connect('reg-ca', { x509: { cert: stranger.certPem, key: stranger.keyPem } });
    expect((await statusIs(impostor.status$, 'offline')).error).toMatchObject({ code: 'authentication_failed' });

    const selfSigned = await createDeviceCertificate('reg-self');
    await registry.create({ deviceId: 'reg-self', authentication: { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: selfSigned.thumbprint } } } as never);
    const own = await connect('reg-self', { x509: { cert: selfSigned.certPem, key: selfSigned.keyPem } });
    await statusIs(own.status$, 'online');
  });

  it('adds, updates and removes devices in bulk, naming each device that failed', async () => {
    const added = await registry.addDevices([{ deviceId: 'bulk-1' }, { deviceId: 'bulk-2' }, { deviceId: 'reg-given' }]);
    expect(added.responseBody).toMatchObject({ isSuccessful: false, errors: [{ deviceId: 'reg-given', errorCode: 'DeviceAlreadyExists' }] });
    expect(hub.registry.getDevice('bulk-2')?.primaryKey).toMatch(/=$/);
    await registry.updateDevices([{ deviceId: 'bulk-1', status: 'disabled' }], true);
    expect((await registry.get('bulk-1')).responseBody.status).toBe('disabled');
    const removed = await registry.removeDevices([{ deviceId: 'bulk-1' }, { deviceId: 'bulk-2' }], true);
    expect(removed.responseBody).toMatchObject({ isSuccessful: true, errors: [] });
    expect(hub.registry.getDevice('bulk-1')).toBeUndefined();
  });

  it('pages a twin query with continuation tokens and filters on tags and status', async () => {
    const ids = Array.from({ length: 23 }, (_, index) => `q-${String(index).padStart(2, '0')}`);
    for (const [index, deviceId] of ids.entries()) {
      await registry.create({ deviceId });
      await registry.updateTwin(deviceId, { tags: { fleet: 'paging', ring: index % 3 === 0 ? 'canary' : 'main' } }, '*');
    }
    const query = registry.createQuery("SELECT * FROM devices WHERE tags.fleet = 'paging'", 10);
    const seen: string[] = [];
    let pages = 0;
    while (query.hasMoreResults) {
      const { result: twins } = await query.nextAsTwin();
      pages += 1;
      expect(twins.length).toBeLessThanOrEqual(10);
      seen.push(...twins.map((twin) => twin.deviceId));
      expect(twins.every((twin) => twin.tags['fleet'] === 'paging')).toBe(true);
    }
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);

    const canary = registry.createQuery("SELECT * FROM devices WHERE tags.fleet = 'paging' AND (tags.ring = 'canary' OR deviceId = 'q-01') AND status = 'enabled'");
    const { result: found } = await canary.nextAsTwin();
    expect(found.map((twin) => twin.deviceId)).toEqual(['q-00', 'q-01', 'q-03', 'q-06', 'q-09', 'q-12', 'q-15', 'q-18', 'q-21']);
    expect(canary.hasMoreResults).toBe(false);

    await expect(registry.createQuery('SELECT deviceId FROM devices').nextAsTwin()).rejects.toThrow(/only SELECT \*/);
  });
});
