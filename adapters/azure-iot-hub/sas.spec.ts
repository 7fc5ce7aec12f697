import common from 'azure-iot-common';
import { describe, expect, it } from 'vitest';
import { createSasToken, parseSasToken, sasResource, sasSignatureMatches } from './sas.js';
import { deviceConnectionInfo, eventHubConnectionInfo, formatConnectionString, parseConnectionString, serviceConnectionInfo, splitHostPort } from './connection-string.js';

const key = Buffer.alloc(32, 9).toString('base64');

describe('SAS tokens', () => {
  it('match what azure-iot-common signs, byte for byte', () => {
    const resource = 'localhost:8883/devices/player-001';
    const ours = createSasToken({ resource, key, expiresAt: 1_900_000_000 });
    const theirs = common.SharedAccessSignature.create(encodeURIComponent(resource), '', key, 1_900_000_000).toString();
    expect(ours).toBe(theirs);
  });

  it('verify under the right key only, and name the resource decoded', () => {
    const fields = parseSasToken(createSasToken({ resource: 'hub.example/devices/a', key, expiresAt: 100, keyName: 'iothubowner' }))!;
    expect(fields).toMatchObject({ se: 100, skn: 'iothubowner' });
    expect(sasResource(fields)).toBe('hub.example/devices/a');
    expect(sasSignatureMatches(fields, key)).toBe(true);
    expect(sasSignatureMatches(fields, Buffer.alloc(32, 1).toString('base64'))).toBe(false);
  });

  it('accepts a service token whose sr the SDK left unencoded', () => {
    const token = common.SharedAccessSignature.create('localhost:8443', 'iothubowner', key, 200).toString();
    const fields = parseSasToken(token)!;
    expect(sasResource(fields)).toBe('localhost:8443');
    expect(sasSignatureMatches(fields, key)).toBe(true);
  });

  it('refuses what is not a token', () => {
    expect(parseSasToken('Bearer abc')).toBeUndefined();
    expect(parseSasToken('SharedAccessSignature sr=a&sig=b')).toBeUndefined();
    expect(parseSasToken('SharedAccessSignature sr=a&sig=b&se=soon')).toBeUndefined();
  });
});

describe('connection strings', () => {
  it('keep base64 padding in values and round-trip', () => {
    const text = `HostName=localhost:8883;DeviceId=player-001;SharedAccessKey=${key}`;
    expect(parseConnectionString(text)['SharedAccessKey']).toBe(key);
    expect(formatConnectionString(parseConnectionString(text))).toBe(text);
  });

  it('tell device auth kinds apart and name missing keys without echoing secrets', () => {
    expect(deviceConnectionInfo(`HostName=h;DeviceId=d;SharedAccessKey=${key}`)).toEqual({ hostName: 'h', deviceId: 'd', auth: 'sas-key' });
    expect(deviceConnectionInfo('HostName=h;DeviceId=d;x509=true').auth).toBe('x509');
    expect(() => deviceConnectionInfo(`HostName=h;SharedAccessKey=${key}`)).toThrow(/lacks DeviceId/);
    expect(() => deviceConnectionInfo(`HostName=h;DeviceId=d;SharedAccessKey=`)).toThrow(/needs SharedAccessKey/);
    expect(() => serviceConnectionInfo(`HostName=h;SharedAccessKey=${key}`)).toThrow(/lacks SharedAccessKeyName/);
    expect(() => serviceConnectionInfo(`HostName=h;SharedAccessKey=${key}`)).not.toThrow(key);
  });

  it('read an Event Hub endpoint: TLS unless UseDevelopmentEmulator, the port when given', () => {
    const text = `Endpoint=sb://ihsuprod.servicebus.windows.net/;SharedAccessKeyName=service;SharedAccessKey=${key};EntityPath=amora-hub`;
    expect(eventHubConnectionInfo(text)).toEqual({
      endpoint: 'sb://ihsuprod.servicebus.windows.net/',
      host: 'ihsuprod.servicebus.windows.net',
      keyName: 'service',
      key,
      entityPath: 'amora-hub',
      developmentEmulator: false,
    });
    expect(eventHubConnectionInfo(`Endpoint=sb://localhost:5672/;SharedAccessKeyName=s;SharedAccessKey=k;EntityPath=h;UseDevelopmentEmulator=true`)).toMatchObject({
      endpoint: 'sb://localhost:5672/',
      port: 5672,
      developmentEmulator: true,
    });
    expect(() => eventHubConnectionInfo(`Endpoint=sb://h/;SharedAccessKeyName=s;SharedAccessKey=${key}`)).toThrow(/lacks EntityPath/);
    expect(() => eventHubConnectionInfo(`Endpoint=https://h/;SharedAccessKeyName=s;SharedAccessKey=${key};EntityPath=e`)).toThrow(/sb:\/\/host/);
    expect(() => eventHubConnectionInfo(`Endpoint=sb://h/;SharedAccessKey=${key};EntityPath=e`)).not.toThrow(key);
  });

  it('split a port off a host name', () => {
    expect(splitHostPort('localhost:8443')).toEqual({ host: 'localhost', port: 8443 });
    expect(splitHostPort('hub.azure-devices.net')).toEqual({ host: 'hub.azure-devices.net' });
    expect(splitHostPort('[::1]:8883')).toEqual({ host: '[::1]', port: 8883 });
  });
});
