import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Cloud } from './fleet.js';

/**
 * What `apply` has done so far, one entry per device and step, so a run killed half-way (even
 * with kill -9) continues where it stopped instead of creating things twice. Each step is
 * recorded after the cloud confirmed it; the file is replaced atomically (write, then rename), so
 * it is always a whole document. It holds ids and ARNs, never a key or a certificate.
 */

export interface DeviceProgress {
  /** Steps done, by name (`thing`, `certificate`, `principal`, `policy`, `identity`, `desired`, `output`). */
  readonly steps: Readonly<Record<string, true>>;
  /** Facts a later step needs (the certificate ARN), never a secret. */
  readonly facts: Readonly<Record<string, string>>;
  /** The last failure, until a later run succeeds. */
  readonly error?: string;
}

interface StateDocument {
  readonly version: 1;
  readonly from: Cloud;
  readonly to: Cloud;
  /** Where the target is (host or endpoint), so one state file is not replayed against another cloud. */
  readonly target: string;
  readonly devices: Record<string, DeviceProgress>;
}

export class MigrationState {
  /** The write under way (or done), and the one queued behind it, which every change meanwhile shares. */
  private saving: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    private readonly document: StateDocument,
  ) {}

  /** Opens the state of a run (a new one when the file does not exist). */
  static async open(path: string, run: { from: Cloud; to: Cloud; target: string }): Promise<MigrationState> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined) return new MigrationState(path, { version: 1, ...run, devices: {} });
    let document: StateDocument;
    try {
      document = JSON.parse(text) as StateDocument;
    } catch {
      throw new Error(`${path} is not a migration state file (not JSON); move it away to start afresh`);
    }
    if (document.version !== 1 || typeof document.devices !== 'object' || document.devices === null) {
      throw new Error(`${path} is not a migration state file of this version`);
    }
    if (document.from !== run.from || document.to !== run.to || document.target !== run.target) {
      throw new Error(`${path} belongs to a migration from ${document.from} to ${document.to} (${document.target}), not this one; use another --state file`);
    }
    return new MigrationState(path, document);
  }

  /** Where the target is (host, region and endpoint; never a secret), as the run that opened the file named it. */
  get target(): string {
    return this.document.target;
  }

  done(deviceId: string, step: string): boolean {
    return this.document.devices[deviceId]?.steps[step] === true;
  }

  fact(deviceId: string, name: string): string | undefined {
    return this.document.devices[deviceId]?.facts[name];
  }

  progress(deviceId: string): DeviceProgress | undefined {
    return this.document.devices[deviceId];
  }

  /** Runs a step unless it is done; records it (with the facts it returns) when it succeeds. */
  async step(deviceId: string, name: string, run: () => Promise<Record<string, string> | void>): Promise<void> {
    if (this.done(deviceId, name)) return;
    const facts = await run();
    await this.complete(deviceId, name, facts ?? {});
  }

  /** Records a step as done (with facts a later step needs) and saves. */
  complete(deviceId: string, step: string, facts: Record<string, string> = {}): Promise<void> {
    const before = this.entry(deviceId);
    this.document.devices[deviceId] = { steps: { ...before.steps, [step]: true }, facts: { ...before.facts, ...facts } };
    return this.save();
  }

  /** Records a failure (kept until the device's next step succeeds) and saves. */
  fail(deviceId: string, error: string): Promise<void> {
    const before = this.entry(deviceId);
    this.document.devices[deviceId] = { ...before, error };
    return this.save();
  }

  private entry(deviceId: string): DeviceProgress {
    return this.document.devices[deviceId] ?? { steps: {}, facts: {} };
  }

  /**
   * Writes run one at a time, each with the whole document as it is when it starts. Changes made
   * while a write is under way share the one write queued behind it, so a fleet of concurrent
   * steps costs a write per burst, not one per step (the document grows with the fleet).
   */
  private save(): Promise<void> {
    // After a failed write the next one still runs (the failure went to whoever awaited it).
    this.queued ??= this.saving.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.write();
    });
    this.saving = this.queued;
    return this.queued;
  }

  private async write(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(this.document, null, 2)}\n`);
    await rename(temporary, this.path);
  }
}
