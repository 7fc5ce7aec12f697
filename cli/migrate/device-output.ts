import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { JsonObject } from '../../core/index.js';

/** The target's CA in the folder, when one was given. */
export const CA_FILE = 'ca.pem';

/**
 * One device's folder in the output directory, ready for the fleet's config rollout:
 *
 * ```
 * {out}/{device}/transport.yaml        the new `transports:` entry (no secret in it)
 * {out}/{device}/secrets.env           IoT Hub: AMORA_DEVICE_CONNECTION_STRING=… (mode 0600)
 * {out}/{device}/certificate.pem.crt   AWS: the device certificate
 * {out}/{device}/private.pem.key       AWS: its private key (mode 0600)
 * {out}/{device}/certificate.json      AWS: certificate ARN and id (lets a killed run resume)
 * {out}/{device}/ca.pem                the target's CA, when one was given
 * {out}/{device}/unmapped.json         source data the target has no place for
 * ```
 *
 * Paths inside transport.yaml point at `deviceDir` (where the rollout puts the files on the
 * device; default the folder itself, for trying things out on this machine).
 */
export class DeviceOutput {
  readonly folder: string;
  /** Where the files will be on the device. */
  readonly deviceDir: string;

  constructor(outDir: string, readonly deviceId: string, deviceDir?: string) {
    this.folder = resolve(outDir, deviceId);
    this.deviceDir = deviceDir === undefined ? this.folder : deviceDir.replaceAll('{device}', deviceId);
  }

  /** The path of `file` on the device. */
  devicePath(file: string): string {
    return join(this.deviceDir, file);
  }

  async writePublic(file: string, text: string): Promise<void> {
    await this.write(file, text, 0o644);
  }

  /** A file only the owner may read: keys and connection strings. */
  async writeSecret(file: string, text: string): Promise<void> {
    await this.write(file, text, 0o600);
  }

  async writeJson(file: string, value: JsonObject): Promise<void> {
    await this.writePublic(file, `${JSON.stringify(value, null, 2)}\n`);
  }

  async writeTransport(entry: JsonObject): Promise<void> {
    await this.writePublic('transport.yaml', stringify([entry]));
  }

  /**
   * The last step of every target: the target's CA (when one was given), the source data it has
   * no place for (when any), then the `transports:` entry, which names the files before it.
   */
  async writeFolder(transport: JsonObject, extras: { readonly caPem?: string | undefined; readonly unmapped?: JsonObject | undefined }): Promise<void> {
    if (extras.caPem) await this.writePublic(CA_FILE, extras.caPem);
    if (extras.unmapped) await this.writeJson('unmapped.json', extras.unmapped);
    await this.writeTransport(transport);
  }

  /** A file written earlier, or undefined. */
  async read(file: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.folder, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Written whole or not at all (temporary file, then rename), with its mode set before it gets its name. */
  private async write(file: string, text: string, mode: number): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const target = join(this.folder, file);
    const temporary = `${target}.tmp`;
    await writeFile(temporary, text, { mode });
    await chmod(temporary, mode);
    await rename(temporary, target);
  }
}
