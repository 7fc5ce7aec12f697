import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import {
  type JsonObject,
} from '../../../core/index.js';
import { withoutDollarKeys } from '../twin-members.js';
import {
  checkEtag,
  newTwin,
  TwinUpdateError,
  updateDesired,
  updateReported,
  updateTags,
  type TwinRecord,
} from './twin-record.js';

/**
 * The emulator's identity registry and twin store: devices with SAS keys or X.509 thumbprints,
 * shared access policies, twins, and (not persisted) who is connected. Kept in memory and, when
 * given a state file, saved there after every change (write to a temp file, then rename).
 */

export type DeviceAuthentication =
  | { readonly type: 'sas'; readonly primaryKey: string; readonly secondaryKey: string }
  | { readonly type: 'selfSigned'; readonly primaryThumbprint: string; readonly secondaryThumbprint?: string }
  /** X.509 CA-signed: any certificate the hub's CA signed whose common name is the device id. */
  | { readonly type: 'certificateAuthority' };

export interface DeviceRecord {
  readonly deviceId: string;
  readonly authentication: DeviceAuthentication;
  readonly status: 'enabled' | 'disabled';
  readonly etag: string;
  readonly twin: TwinRecord;
}

export type PolicyRight = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect';

export interface PolicyRecord {
  readonly keyName: string;
  readonly primaryKey: string;
  readonly secondaryKey: string;
  readonly rights: readonly PolicyRight[];
}

export interface CreateDeviceOptions {
  /** Base64 keys; generated when absent (ignored for X.509 devices). */
  readonly primaryKey?: string;
  readonly secondaryKey?: string;
  /** Makes an X.509 self-signed device identified by this SHA-1 thumbprint (hex). */
  readonly x509Thumbprint?: string;
  readonly secondaryX509Thumbprint?: string;
  /** Makes an X.509 CA-signed device (a certificate from the emulator's CA with CN = device id). */
  readonly certificateAuthority?: boolean;
}

/** A desired change to deliver to the device (the notification body carries `$version`). */
export interface DesiredChange {
  readonly deviceId: string;
  readonly patch: JsonObject;
  readonly version: number;
}

export interface Presence {
  readonly connected: boolean;
  /** Epoch ms of the last connect, disconnect or message. */
  readonly lastActivity: number;
}

/** Thrown for registry requests the hub would refuse: 404 unknown device, 409 duplicate. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly status: 404 | 409 | 400,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

interface StateFile {
  readonly version: 1;
  readonly devices: readonly DeviceRecord[];
  readonly policies: readonly PolicyRecord[];
}

/** A fresh random 32-byte key, base64, as the hub generates them. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

export class HubRegistry {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly presence = new Map<string, Presence>();
  private readonly desiredListeners = new Set<(change: DesiredChange) => void>();
  private saving: Promise<void> = Promise.resolve();
  private saveQueued = false;

  constructor(
    private readonly stateFile?: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the state file if there is one; makes sure the `iothubowner` and `service` policies exist. */
  async load(): Promise<void> {
    if (this.stateFile) {
      try {
        const state = JSON.parse(await readFile(this.stateFile, 'utf8')) as StateFile;
        for (const device of state.devices ?? []) this.devices.set(device.deviceId, device);
        for (const policy of state.policies ?? []) this.policies.set(policy.keyName, policy);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read emulator state file: ${(error as Error).message}`, { cause: error });
      }
    }
    let added = false;
    for (const [keyName, rights] of [
      ['iothubowner', ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect']],
      ['service', ['ServiceConnect']],
      ['registryRead', ['RegistryRead']],
      ['registryReadWrite', ['RegistryRead', 'RegistryWrite']],
    ] as const) {
      if (this.policies.has(keyName)) continue;
      this.policies.set(keyName, { keyName, primaryKey: generateKey(), secondaryKey: generateKey(), rights });
      added = true;
    }
    if (added) this.changed();
  }

  /** Waits for pending writes of the state file. */
  async flush(): Promise<void> {
    while (this.saveQueued) await this.saving;
    await this.saving;
  }

  policy(keyName: string): PolicyRecord | undefined {
    return this.policies.get(keyName);
  }

  createDevice(deviceId: string, options: CreateDeviceOptions = {}): DeviceRecord {
    if (!isValidDeviceId(deviceId)) throw new RegistryError(400, 'ArgumentInvalid', 'invalid device id');
    if (this.devices.has(deviceId)) throw new RegistryError(409, 'DeviceAlreadyExists', `device ${deviceId} already exists`);
    const authentication: DeviceAuthentication = options.certificateAuthority
      ? { type: 'certificateAuthority' }
      : options.x509Thumbprint
        ? {
            type: 'selfSigned',
            primaryThumbprint: options.x509Thumbprint.toUpperCase(),
            ...(options.secondaryX509Thumbprint ? { secondaryThumbprint: options.secondaryX509Thumbprint.toUpperCase() } : {}),
          }
        : { type: 'sas', primaryKey: options.primaryKey ?? generateKey(), secondaryKey: options.secondaryKey ?? generateKey() };
    const device: DeviceRecord = { deviceId, authentication, status: 'enabled', etag: newDeviceEtag(), twin: newTwin(this.now()) };
    this.devices.set(deviceId, device);
    this.changed();
    return device;
  }

  /** The device, creating it with generated keys when it does not exist yet. */
  ensureDevice(deviceId: string, options: CreateDeviceOptions = {}): DeviceRecord {
    return this.devices.get(deviceId) ?? this.createDevice(deviceId, options);
  }

  getDevice(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId);
  }

  requireDevice(deviceId: string): DeviceRecord {
    const device = this.devices.get(deviceId);
    if (!device) throw new RegistryError(404, 'DeviceNotFound', `device ${deviceId} is not registered`);
    return device;
  }

  listDevices(): readonly DeviceRecord[] {
    return [...this.devices.values()];
  }

  deleteDevice(deviceId: string): void {
    this.requireDevice(deviceId);
    this.devices.delete(deviceId);
    this.changed();
  }

  setStatus(deviceId: string, status: 'enabled' | 'disabled'): DeviceRecord {
    const device = { ...this.requireDevice(deviceId), status, etag: newDeviceEtag() };
    this.devices.set(deviceId, device);
    this.changed();
    return device;
  }

  /** Applies a service twin patch `{tags?, properties?: {desired?}}` after an If-Match check. */
  patchTwin(deviceId: string, patch: JsonObject, ifMatch?: string, replace = false): TwinRecord {
    const device = this.requireDevice(deviceId);
    checkEtag(device.twin, ifMatch);
    let twin = device.twin;
    const tags = patch['tags'];
    if (tags !== undefined && tags !== null) twin = updateTags(twin, tags as JsonObject, replace);
    const properties = patch['properties'];
    const desired = properties && typeof properties === 'object' && !Array.isArray(properties) ? (properties as JsonObject)['desired'] : undefined;
    let desiredPatch: JsonObject | undefined;
    if (desired !== undefined && desired !== null) {
      twin = updateDesired(twin, desired as JsonObject, this.now(), replace);
      desiredPatch = replace ? twin.desired : (desired as JsonObject);
    } else if (replace) {
      twin = updateDesired(twin, {}, this.now(), true);
      desiredPatch = twin.desired;
    }
    if (twin === device.twin) throw new TwinUpdateError(400, 'the patch changes neither tags nor desired properties');
    this.devices.set(deviceId, { ...device, twin });
    this.changed();
    if (desiredPatch) {
      const change = { deviceId, patch: withoutDollarKeys(desiredPatch), version: twin.desiredVersion };
      for (const listener of this.desiredListeners) listener(change);
    }
    return twin;
  }

  /** Applies a reported patch from the device; returns the new reported `$version`. */
  patchReported(deviceId: string, patch: JsonObject): number {
    const device = this.requireDevice(deviceId);
    const twin = updateReported(device.twin, patch, this.now());
    this.devices.set(deviceId, { ...device, twin });
    this.changed();
    return twin.reportedVersion;
  }

  /** Called for every desired change, to notify the connected device. */
  onDesiredChange(listener: (change: DesiredChange) => void): () => void {
    this.desiredListeners.add(listener);
    return () => this.desiredListeners.delete(listener);
  }

  setPresence(deviceId: string, connected: boolean): void {
    this.presence.set(deviceId, { connected, lastActivity: this.now() });
  }

  presenceOf(deviceId: string): Presence {
    return this.presence.get(deviceId) ?? { connected: false, lastActivity: 0 };
  }

  private changed(): void {
    if (!this.stateFile || this.saveQueued) return;
    this.saveQueued = true;
    // Chained so writes never overlap; one write covers every change queued before it starts.
    this.saving = this.saving.then(async () => {
      this.saveQueued = false;
      const state: StateFile = { version: 1, devices: [...this.devices.values()], policies: [...this.policies.values()] };
      const temp = `${this.stateFile}.tmp`;
      try {
        await writeFile(temp, JSON.stringify(state, null, 2), { mode: 0o600 });
        await rename(temp, this.stateFile!);
      } catch {
        // A failed save must not break the emulator; the next change tries again.
      }
    });
  }
}

/** IoT Hub device ids: up to 128 characters of letters, digits and `-.%_*?!(),:=@$'`. */
export function isValidDeviceId(deviceId: string): boolean {
  return /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/.test(deviceId);
}

function newDeviceEtag(): string {
  return randomBytes(6).toString('base64');
}
