import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint, createDeviceCertificate, loadOrCreateCertificates } from './certificates.js';

describe('emulator certificates', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-azure-certs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are created once, reused, and renewed for a new host name under the same CA', async () => {
    const first = await loadOrCreateCertificates(dir);
    const server = new X509Certificate(first.server.certPem);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.verify(new X509Certificate(first.ca.certPem).publicKey)).toBe(true);
    expect(await readFile(join(dir, 'ca.pem'), 'utf8')).toBe(first.ca.certPem);

    const again = await loadOrCreateCertificates(dir);
    expect(again).toEqual(first);

    const renamed = await loadOrCreateCertificates(dir, ['hub.lan']);
    expect(renamed.ca).toEqual(first.ca);
    expect(new X509Certificate(renamed.server.certPem).checkHost('hub.lan')).toBe('hub.lan');
  });

  it('make self-signed device certificates with the SHA-1 thumbprint IoT Hub shows', async () => {
    const device = await createDeviceCertificate('player-001');
    expect(device.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(certificateThumbprint(device.certPem)).toBe(device.thumbprint);
    expect(new X509Certificate(device.certPem).subject).toBe('CN=player-001');
  });
});
