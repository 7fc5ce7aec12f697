import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * A throwaway PKI for mutual TLS tests: a CA that signs a server certificate for
 * 127.0.0.1/localhost and client certificates for devices (the device id as CN).
 */
export interface DevicePki {
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /**
   * A client certificate and key for `commonName`, signed by this CA; with `dnsName`, that name as
   * a subject alternative name too (a certificate without a CN: pass `undefined` as `commonName`).
   */
  client(commonName: string | undefined, dnsName?: string): { readonly certPem: string; readonly keyPem: string };
}

interface KeyPair {
  readonly pem: string;
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly publicKey: forge.pki.rsa.PublicKey;
}

function keyPair(): KeyPair {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { pem: pair.privateKey, privateKey: forge.pki.privateKeyFromPem(pair.privateKey), publicKey: forge.pki.publicKeyFromPem(pair.publicKey) };
}

function sign(commonName: string | undefined, subjectKey: KeyPair, issuerKey: KeyPair, issuer: forge.pki.Certificate | undefined, extensions: object[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = subjectKey.publicKey;
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, minimal DER
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const subject = commonName === undefined ? [] : [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(issuer?.subject.attributes ?? subject);
  cert.setExtensions(extensions);
  cert.sign(issuerKey.privateKey, forge.md.sha256.create());
  return cert;
}

export function createDevicePki(name = 'Amora device CA'): DevicePki {
  const caKey = keyPair();
  const ca = sign(name, caKey, caKey, undefined, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const serverKey = keyPair();
  const server = sign('localhost', serverKey, caKey, ca, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  return {
    caPem: forge.pki.certificateToPem(ca),
    serverCertPem: forge.pki.certificateToPem(server),
    serverKeyPem: serverKey.pem,
    client(commonName, dnsName) {
      const key = keyPair();
      const cert = sign(commonName, key, caKey, ca, [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
        ...(dnsName === undefined ? [] : [{ name: 'subjectAltName', altNames: [{ type: 2, value: dnsName }] }]),
      ]);
      return { certPem: forge.pki.certificateToPem(cert), keyPem: key.pem };
    },
  };
}
