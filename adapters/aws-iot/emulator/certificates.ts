import { X509Certificate, createHash, generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * Certificates for the local AWS IoT emulator: a CA, a server certificate for the endpoint, and
 * device certificates signed by the CA (what AWS IoT's CreateKeysAndCertificate hands out).
 * Keys come from node:crypto (native, fast); node-forge builds and signs the X.509 certificates.
 */

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

interface RsaKeys {
  readonly keyPem: string;
  readonly forgePrivate: forge.pki.rsa.PrivateKey;
  readonly forgePublic: forge.pki.rsa.PublicKey;
}

// PKCS#1 PEM ("RSA PRIVATE KEY"), the form AWS IoT issues device keys in.
const RSA_OPTIONS = {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
} as const;

function toForge({ privateKey, publicKey }: { privateKey: string; publicKey: string }): RsaKeys {
  return { keyPem: privateKey, forgePrivate: forge.pki.privateKeyFromPem(privateKey), forgePublic: forge.pki.publicKeyFromPem(publicKey) };
}

function rsaKeys(): RsaKeys {
  return toForge(generateKeyPairSync('rsa', RSA_OPTIONS));
}

/**
 * Key generation off the event loop (libuv's thread pool): an RSA 2048 key takes 0.1-0.6 s, which
 * would stall every MQTT connection of the emulator while a fleet is provisioned.
 */
async function rsaKeysInBackground(): Promise<RsaKeys> {
  return toForge(await promisify(generateKeyPair)('rsa', RSA_OPTIONS));
}

function serialNumber(): string {
  // Positive (high bit clear) 16-byte serial, as RFC 5280 asks, and never a leading zero byte:
  // DER integers must be minimal, and OpenSSL refuses "00 xx" with xx < 0x80 as illegal padding.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

interface CertificateSpec {
  readonly commonName: string;
  readonly organization: string;
  readonly validDays: number;
  readonly extensions: object[];
}

/**
 * Builds and signs a certificate, and checks that OpenSSL (node:crypto) can parse it. node-forge
 * once produced a certificate here that OpenSSL refused ("asn1 encoding routines::illegal
 * padding", a non-minimal INTEGER) in a CI run; a rare bad draw is issued again rather than
 * handed to a TLS stack that would refuse it.
 */
function buildCertificate(
  spec: CertificateSpec,
  subjectPublic: forge.pki.rsa.PublicKey,
  issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
): string {
  for (let attempt = 1; ; attempt++) {
    const pem = signCertificate(spec, subjectPublic, issuer);
    try {
      return new X509Certificate(pem).toString();
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

function signCertificate(
  spec: CertificateSpec,
  subjectPublic: forge.pki.rsa.PublicKey,
  issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = subjectPublic;
  cert.serialNumber = serialNumber();
  // Back-dated a little so clocks that differ by minutes still accept it.
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + spec.validDays * DAY_MS);
  const subject = [
    { name: 'commonName', value: spec.commonName },
    { name: 'organizationName', value: spec.organization },
  ];
  cert.setSubject(subject);
  cert.setIssuer(issuer.cert ? issuer.cert.subject.attributes : subject);
  cert.setExtensions([...spec.extensions, { name: 'subjectKeyIdentifier' }]);
  cert.sign(issuer.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A self-signed CA that signs the server and device certificates. */
export function createCertificateAuthority(commonName = 'Amora AWS IoT Emulator CA'): CertificatePair {
  const keys = rsaKeys();
  const certPem = buildCertificate(
    {
      commonName,
      organization: 'Amora Sync (local emulator)',
      validDays: 3650,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    },
    keys.forgePublic,
    { key: keys.forgePrivate },
  );
  return { certPem, keyPem: keys.keyPem };
}

function issuerOf(ca: CertificatePair): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  return { cert: forge.pki.certificateFromPem(ca.certPem), key: forge.pki.privateKeyFromPem(ca.keyPem) };
}

/** A TLS server certificate for the given host names and IP addresses. */
export function createServerCertificate(ca: CertificatePair, hosts: readonly string[]): CertificatePair {
  const keys = rsaKeys();
  const altNames = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? { type: 7, ip: host } : { type: 2, value: host }));
  const certPem = buildCertificate(
    {
      commonName: hosts[0] ?? 'localhost',
      organization: 'Amora Sync (local emulator)',
      validDays: 825,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    },
    keys.forgePublic,
    issuerOf(ca),
  );
  return { certPem, keyPem: keys.keyPem };
}

/** A device (client) certificate; its common name is informational, as in AWS IoT. */
export async function createDeviceCertificate(ca: CertificatePair, commonName: string): Promise<CertificatePair> {
  const keys = await rsaKeysInBackground();
  const certPem = buildCertificate(
    {
      commonName,
      organization: 'Amora Sync device',
      validDays: 3650,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
      ],
    },
    keys.forgePublic,
    issuerOf(ca),
  );
  return { certPem, keyPem: keys.keyPem };
}

/** AWS IoT's certificate id: the SHA-256 of the DER certificate, lowercase hex. */
export function certificateId(certPemOrDer: string | Buffer): string {
  const der = typeof certPemOrDer === 'string' ? new X509Certificate(certPemOrDer).raw : certPemOrDer;
  return createHash('sha256').update(der).digest('hex');
}
