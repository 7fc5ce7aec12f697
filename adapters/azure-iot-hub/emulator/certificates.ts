import { X509Certificate, createHash, generateKeyPair, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * Certificates for the emulator: a local CA, a server certificate it signs (SANs localhost,
 * 127.0.0.1, ::1 and any extra names), and self-signed device certificates for X.509 tests.
 * Keys come from node:crypto (fast, native); node-forge only builds and signs the certificates.
 */

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface EmulatorCertificates {
  readonly ca: PemPair;
  readonly server: PemPair;
}

const generateRsa = promisify(generateKeyPair);

async function newKeyPair(): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string }> {
  const { privateKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { privateKey: forgeKey, publicKey, keyPem: privateKey };
}

function baseCertificate(publicKey: forge.pki.rsa.PublicKey, commonName: string, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial (high bit clear) with no leading zero byte: DER integers must be minimal,
  // and OpenSSL refuses "00 xx" with xx < 0x80 as illegal padding.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  cert.serialNumber = serial.toString('hex');
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + years * 365 * 24 * 60 * 60 * 1000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

/** A new self-signed CA valid for ten years. */
export async function createCertificateAuthority(commonName = 'Amora Azure IoT Hub emulator CA'): Promise<PemPair> {
  const keys = await newKeyPair();
  const cert = baseCertificate(keys.publicKey, commonName, 10);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** A server certificate signed by `ca` for localhost, the loopback addresses and `extraNames`. */
export async function createServerCertificate(ca: PemPair, extraNames: readonly string[] = []): Promise<PemPair> {
  const keys = await newKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const cert = baseCertificate(keys.publicKey, 'localhost', 5);
  cert.setIssuer(caCert.subject.attributes);
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...extraNames])];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: names.map((name) => (isIpAddress(name) ? { type: 7, ip: name } : { type: 2, value: name })),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/**
 * A client certificate with CN = device id: self-signed, as IoT Hub's "X.509 self-signed" devices
 * use, or signed by `ca` (the emulator's CA) for "X.509 CA-signed" devices.
 */
export async function createDeviceCertificate(deviceId: string, ca?: PemPair): Promise<PemPair & { readonly thumbprint: string }> {
  const keys = await newKeyPair();
  const cert = baseCertificate(keys.publicKey, deviceId, 1);
  cert.setIssuer(ca ? forge.pki.certificateFromPem(ca.certPem).subject.attributes : cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(ca ? forge.pki.privateKeyFromPem(ca.keyPem) : keys.privateKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem: keys.keyPem, thumbprint: certificateThumbprint(certPem) };
}

/** SHA-1 thumbprint as IoT Hub shows it: 40 upper-case hex digits. */
export function certificateThumbprint(certPemOrDer: string | Buffer): string {
  const der = typeof certPemOrDer === 'string' ? new X509Certificate(certPemOrDer).raw : certPemOrDer;
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/** A fresh CA and server certificate, in memory. */
export async function createEmulatorCertificates(extraNames: readonly string[] = []): Promise<EmulatorCertificates> {
  const ca = await createCertificateAuthority();
  return { ca, server: await createServerCertificate(ca, extraNames) };
}

const FILES = { caCert: 'ca.pem', caKey: 'ca-key.pem', serverCert: 'server.pem', serverKey: 'server-key.pem' } as const;

/** Paths of the certificate files kept in a cert directory. */
export function certificatePaths(certDir: string): { readonly ca: string; readonly server: string; readonly serverKey: string } {
  return { ca: join(certDir, FILES.caCert), server: join(certDir, FILES.serverCert), serverKey: join(certDir, FILES.serverKey) };
}

/**
 * Loads the CA and server certificate from `certDir`, creating (and writing) whichever is missing:
 * the first start generates them, later starts reuse them so clients keep trusting the same CA.
 * A server certificate that does not name every host in `extraNames` is replaced (same CA).
 */
export async function loadOrCreateCertificates(certDir: string, extraNames: readonly string[] = []): Promise<EmulatorCertificates> {
  await mkdir(certDir, { recursive: true, mode: 0o700 });
  const read = async (name: string): Promise<string | undefined> => {
    try {
      return await readFile(join(certDir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  const [caCert, caKey, serverCert, serverKey] = await Promise.all([
    read(FILES.caCert),
    read(FILES.caKey),
    read(FILES.serverCert),
    read(FILES.serverKey),
  ]);
  let ca: PemPair;
  let fresh = false;
  if (caCert && caKey) {
    ca = { certPem: caCert, keyPem: caKey };
  } else {
    ca = await createCertificateAuthority();
    fresh = true;
    await writeFile(join(certDir, FILES.caCert), ca.certPem, { mode: 0o644 });
    await writeFile(join(certDir, FILES.caKey), ca.keyPem, { mode: 0o600 });
  }
  if (!fresh && serverCert && serverKey && covers(serverCert, extraNames)) return { ca, server: { certPem: serverCert, keyPem: serverKey } };
  const server = await createServerCertificate(ca, extraNames);
  await writeFile(join(certDir, FILES.serverCert), server.certPem, { mode: 0o644 });
  await writeFile(join(certDir, FILES.serverKey), server.keyPem, { mode: 0o600 });
  return { ca, server };
}

/** True when the certificate names every host (a new --host-name needs a new server certificate). */
function covers(certPem: string, names: readonly string[]): boolean {
  const cert = new X509Certificate(certPem);
  return names.every((name) => (isIpAddress(name) ? cert.checkIP(name) : cert.checkHost(name)) !== undefined);
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
