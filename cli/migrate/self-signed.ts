import { createHash, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A device's own X.509 identity for IoT Hub's self-signed authentication. */
export interface SelfSignedIdentity {
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-1 of the DER certificate, upper-case hex: what IoT Hub registers as the thumbprint. */
  readonly thumbprint: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A new RSA-2048 key (made off the event loop) and a self-signed certificate for it, CN the device
 * id, valid `validDays`. IoT Hub checks the device's TLS client certificate against the registered
 * thumbprint, so no CA is involved; rotate by registering the next one as the secondary thumbprint.
 */
export async function selfSignedIdentity(deviceId: string, validDays: number): Promise<SelfSignedIdentity> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive 16-byte serial without a leading zero byte (DER integers are minimal).
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  certificate.serialNumber = serial.toString('hex');
  const now = Date.now();
  certificate.validity.notBefore = new Date(now - 60_000);
  certificate.validity.notAfter = new Date(now + validDays * DAY_MS);
  const subject = [{ name: 'commonName', value: deviceId }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(certificate);
  return { certPem, keyPem: privateKey, thumbprint: thumbprintOf(certPem) };
}

/** IoT Hub's X.509 thumbprint of a certificate: its SHA-1 fingerprint, upper-case hex without colons. */
export function thumbprintOf(certPem: string): string {
  return createHash('sha1').update(new X509Certificate(certPem).raw).digest('hex').toUpperCase();
}
