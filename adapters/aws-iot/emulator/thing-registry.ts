import { createPublicKey } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidThingName } from '../shadow-topics.js';
import {
  createCertificateAuthority,
  createDeviceCertificate,
  createServerCertificate,
  type CertificatePair,
} from './certificates.js';
import { ControlPlaneRegistry, type CertificateRecord, type ControlPlaneState, type MqttPrincipal } from './control-plane-registry.js';

/**
 * The emulator's things and their certificates, kept in a certificate directory so a device
 * configured once keeps working across emulator restarts:
 *
 * ```
 * {certDir}/ca.pem                      root CA the devices trust (IOT_ROOT_CA_PATH)
 * {certDir}/ca.key                      CA private key (signs server and device certificates)
 * {certDir}/server.pem, server.key      endpoint certificate (localhost, 127.0.0.1, ::1)
 * {certDir}/things/{thing}.cert.pem     device certificate (IOT_CERT_PATH)
 * {certDir}/things/{thing}.private.key  device key (IOT_KEY_PATH)
 * {certDir}/control-plane.json          what the control plane made: things, certificates (no
 *                                       private keys: AWS keeps none either), policies, attachments
 * ```
 *
 * A client certificate is accepted only when the CA signed it (checked by TLS) and the control
 * plane knows it as ACTIVE (checked at CONNECT). Things made here are also control-plane things,
 * and their certificates are authorised for every MQTT action without a policy; certificates made
 * through CreateKeysAndCertificate need an attached policy, as on AWS.
 */

/** Paths and id of one thing's credentials. */
export interface ThingCredentials {
  readonly thingName: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly certificateId: string;
}

const CERT_SUFFIX = '.cert.pem';
const KEY_SUFFIX = '.private.key';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writePrivate(path: string, pem: string): Promise<void> {
  await writeFile(path, pem, { mode: 0o600 });
}

/** What CreateKeysAndCertificate returns besides the certificate record. */
export interface IssuedCertificate {
  readonly certificate: CertificateRecord;
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

export class ThingRegistry {
  private readonly byThing = new Map<string, ThingCredentials>();
  /** Things whose certificate is being issued: a second request for one waits for the first. */
  private readonly issuing = new Map<string, Promise<ThingCredentials>>();
  private saving: Promise<void> = Promise.resolve();
  private saveQueued = false;

  private constructor(
    readonly certDir: string,
    private readonly ca: CertificatePair,
    readonly controlPlane: ControlPlaneRegistry,
  ) {}

  /** Opens (creating when missing) the CA in `certDir` and registers every thing found there. */
  static async open(certDir: string, controlPlane = new ControlPlaneRegistry()): Promise<ThingRegistry> {
    await mkdir(join(certDir, 'things'), { recursive: true, mode: 0o700 });
    const caPath = join(certDir, 'ca.pem');
    const caKeyPath = join(certDir, 'ca.key');
    const [certPem, keyPem] = await Promise.all([readIfExists(caPath), readIfExists(caKeyPath)]);
    let ca: CertificatePair;
    if (certPem && keyPem) {
      ca = { certPem, keyPem };
    } else {
      ca = createCertificateAuthority();
      await writePrivate(caKeyPath, ca.keyPem);
      await writeFile(caPath, ca.certPem);
    }
    const registry = new ThingRegistry(certDir, ca, controlPlane);
    const saved = await readIfExists(registry.statePath);
    if (saved !== undefined) {
      try {
        controlPlane.restore(JSON.parse(saved) as ControlPlaneState);
      } catch (error) {
        throw new Error(`cannot read the emulator's ${registry.statePath}: ${(error as Error).message}`, { cause: error });
      }
    }
    for (const file of await readdir(join(certDir, 'things'))) {
      if (!file.endsWith(CERT_SUFFIX)) continue;
      const thingName = file.slice(0, -CERT_SUFFIX.length);
      if (isValidThingName(thingName)) await registry.register(thingName);
    }
    controlPlane.onChange = () => registry.save();
    return registry;
  }

  private get statePath(): string {
    return join(this.certDir, 'control-plane.json');
  }

  /** Waits for pending writes of control-plane.json. */
  async flush(): Promise<void> {
    while (this.saveQueued) await this.saving;
    await this.saving;
  }

  /** Saves the control plane after a change: writes never overlap, one covers every change queued before it. */
  private save(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    this.saving = this.saving.then(async () => {
      this.saveQueued = false;
      const temp = `${this.statePath}.tmp`;
      try {
        await writeFile(temp, JSON.stringify(this.controlPlane.snapshot()), { mode: 0o600 });
        await rename(temp, this.statePath);
      } catch {
        // A failed save must not break the emulator; the next change tries again.
      }
    });
  }

  /** The CA certificate path devices use as their root CA. */
  get caPath(): string {
    return join(this.certDir, 'ca.pem');
  }

  get caCertPem(): string {
    return this.ca.certPem;
  }

  /** Issues (or reuses) the endpoint certificate for these host names; returns PEMs and paths. */
  async serverCertificate(hosts: readonly string[]): Promise<CertificatePair & { certPath: string; keyPath: string }> {
    const certPath = join(this.certDir, 'server.pem');
    const keyPath = join(this.certDir, 'server.key');
    const hostsPath = join(this.certDir, 'server.hosts');
    const wanted = hosts.toSorted().join(',');
    const [certPem, keyPem, issuedFor] = await Promise.all([readIfExists(certPath), readIfExists(keyPath), readIfExists(hostsPath)]);
    if (certPem && keyPem && issuedFor === wanted) return { certPem, keyPem, certPath, keyPath };
    const pair = createServerCertificate(this.ca, hosts);
    await writePrivate(keyPath, pair.keyPem);
    await writeFile(certPath, pair.certPem);
    await writeFile(hostsPath, wanted);
    return { ...pair, certPath, keyPath };
  }

  /** Registers a thing with a new device certificate, or returns the one it already has. */
  async createThing(thingName: string): Promise<ThingCredentials> {
    if (!isValidThingName(thingName)) {
      throw new RangeError(`invalid thing name "${thingName}" (1-128 of letters, digits, ':', '_', '-')`);
    }
    const existing = this.byThing.get(thingName);
    if (existing) return existing;
    // Two concurrent requests for one thing must not both write (and read back) its files.
    let pending = this.issuing.get(thingName);
    if (!pending) {
      pending = this.issue(thingName).finally(() => this.issuing.delete(thingName));
      this.issuing.set(thingName, pending);
    }
    return pending;
  }

  private async issue(thingName: string): Promise<ThingCredentials> {
    const { certPath, keyPath } = this.paths(thingName);
    const pair = await createDeviceCertificate(this.ca, thingName);
    await writePrivate(keyPath, pair.keyPem);
    await writeFile(certPath, pair.certPem);
    return this.register(thingName, pair.certPem);
  }

  /**
   * Removes a thing and its certificate: connections with it are refused from now on. The thing
   * stays in the control plane while certificates made there are still attached to it.
   */
  async deleteThing(thingName: string): Promise<void> {
    const existing = this.byThing.get(thingName);
    if (!existing) return;
    this.byThing.delete(thingName);
    this.controlPlane.removeCertificate(existing.certificateId);
    if (this.controlPlane.hasThing(thingName) && this.controlPlane.describeThing(thingName).principals.size === 0) {
      this.controlPlane.deleteThing(thingName);
    }
    await Promise.all([rm(existing.certPath, { force: true }), rm(existing.keyPath, { force: true })]);
  }

  /** CreateKeysAndCertificate: a key pair and a certificate signed by the emulator CA (only the certificate is kept). */
  async issueCertificate(setAsActive: boolean): Promise<IssuedCertificate> {
    const pair = await createDeviceCertificate(this.ca, 'AWS IoT Certificate');
    const certificate = this.controlPlane.addCertificate(pair.certPem, setAsActive ? 'ACTIVE' : 'INACTIVE');
    const publicKeyPem = createPublicKey(pair.keyPem).export({ type: 'spki', format: 'pem' }).toString();
    return { certificate, publicKeyPem, privateKeyPem: pair.keyPem };
  }

  /** Who an ACTIVE client certificate (DER) connects as, or undefined when it is unknown or inactive. */
  principalFor(der: Buffer, clientId: string): MqttPrincipal | undefined {
    return this.controlPlane.principalFor(der, clientId);
  }

  /** Marks a thing's certificate ACTIVE or INACTIVE (AWS IoT UpdateCertificate); inactive ones are refused. */
  setCertificateActive(thingName: string, active: boolean): void {
    const credentials = this.byThing.get(thingName);
    if (!credentials) throw new RangeError(`no thing named "${thingName}"`);
    this.controlPlane.updateCertificate(credentials.certificateId, active ? 'ACTIVE' : 'INACTIVE');
  }

  thingNames(): string[] {
    return [...this.byThing.keys()].toSorted();
  }

  credentials(thingName: string): ThingCredentials | undefined {
    return this.byThing.get(thingName);
  }

  private paths(thingName: string): { certPath: string; keyPath: string } {
    const base = join(this.certDir, 'things', thingName);
    return { certPath: base + CERT_SUFFIX, keyPath: base + KEY_SUFFIX };
  }

  /** Records a thing's credentials; `certPem` when just issued, else read from its file. */
  private async register(thingName: string, issuedPem?: string): Promise<ThingCredentials> {
    const { certPath, keyPath } = this.paths(thingName);
    const certPem = issuedPem ?? (await readFile(certPath, 'utf8'));
    if (!this.controlPlane.hasThing(thingName)) this.controlPlane.createThing(thingName);
    const certificate = this.controlPlane.addCertificate(certPem, 'ACTIVE', true);
    this.controlPlane.attachThingPrincipal(thingName, certificate.certificateArn);
    const credentials: ThingCredentials = { thingName, certPath, keyPath, certificateId: certificate.certificateId };
    this.byThing.set(thingName, credentials);
    return credentials;
  }
}
