import { createHash, X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedIdentity } from './self-signed.js';

describe('selfSignedIdentity', () => {
  it('makes a client certificate for the device, its key, and the thumbprint IoT Hub registers', async () => {
    const identity = await selfSignedIdentity('player-001', 365);
    const certificate = new X509Certificate(identity.certPem);
    expect(certificate.subject).toBe('CN=player-001');
    expect(certificate.issuer).toBe('CN=player-001');
    expect(certificate.checkPrivateKey(createPrivateKey(identity.keyPem))).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(identity.thumbprint).toBe(createHash('sha1').update(certificate.raw).digest('hex').toUpperCase());
    expect(new Date(certificate.validTo).getTime() - Date.now()).toBeGreaterThan(364 * 24 * 3600 * 1000);
  });
});
