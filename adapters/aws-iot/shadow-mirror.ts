import {
  applyMergePatch,
  isJsonObject,
  type JsonObject,
} from '../../core/index.js';
import type { ParsedGetAccepted } from './shadow-document.js';

/** A change of desired state seen in someone else's accepted update. */
export interface ForeignDesiredChange {
  /** Merge patch onto desired, or the whole desired (`{}` when the section was removed) when `full`. */
  readonly patch: JsonObject;
  readonly full: boolean;
  readonly version: number;
}

/**
 * The device's view of its shadow: reported and desired sections and the version they are at.
 * It starts from a GET after each connect and follows every accepted update in order (ours and
 * others'), so the device can send only what changed, with the version it changed from. When it
 * misses a version it forgets what it knew, and the next update starts with a fresh GET.
 */
export class ShadowMirror {
  private knownReported: JsonObject | undefined;
  private knownDesired: JsonObject = {};
  private knownVersion: number | undefined;
  /** False until a GET told us where the shadow stands, and again after a gap. */
  private synced = false;

  get isSynced(): boolean {
    return this.synced;
  }

  get reported(): JsonObject {
    return this.knownReported ?? {};
  }

  get desired(): JsonObject {
    return this.knownDesired;
  }

  /** Undefined when the shadow does not exist yet (send updates without a version). */
  get version(): number | undefined {
    return this.knownVersion;
  }

  /** Starts over from a GET (undefined: the shadow does not exist). */
  reset(document: ParsedGetAccepted | undefined): void {
    this.knownReported = document?.reported ?? {};
    this.knownDesired = document?.desired ?? {};
    this.knownVersion = document?.version;
    this.synced = true;
  }

  /** Forgets everything (connection lost, or a version was missed). */
  invalidate(): void {
    this.synced = false;
  }

  /** Records our own accepted reported update. */
  applyOwn(reportedPatch: JsonObject, version: number): void {
    this.knownReported = applyMergePatch(this.reported, reportedPatch);
    this.knownVersion = version;
  }

  /**
   * Follows an accepted update made by someone else; returns the desired change it carried, if
   * any. An update from before what we know is ignored; one from after a gap invalidates.
   */
  applyForeign(accepted: unknown): ForeignDesiredChange | undefined {
    try {
      return this.follow(accepted);
    } catch {
      // A patch we refuse to merge (e.g. a `__proto__` key): start over from a GET.
      this.invalidate();
      return undefined;
    }
  }

  private follow(accepted: unknown): ForeignDesiredChange | undefined {
    if (!this.synced || !isJsonObject(accepted as JsonObject)) return undefined;
    const { version, state } = accepted as { version?: unknown; state?: unknown };
    if (typeof version !== 'number' || !isJsonObject(state as JsonObject)) return undefined;
    const expected = (this.knownVersion ?? 0) + 1;
    if (this.knownVersion !== undefined && version <= this.knownVersion) return undefined;
    if (version !== expected) {
      this.invalidate();
      return undefined;
    }
    const sections = state as { desired?: unknown; reported?: unknown };
    this.knownVersion = version;
    if (sections.reported === null) this.knownReported = {};
    else if (isJsonObject(sections.reported as JsonObject)) this.knownReported = applyMergePatch(this.reported, sections.reported as JsonObject);
    if (sections.desired === null) {
      this.knownDesired = {};
      return { patch: {}, full: true, version };
    }
    if (isJsonObject(sections.desired as JsonObject)) {
      const patch = sections.desired as JsonObject;
      this.knownDesired = applyMergePatch(this.knownDesired, patch);
      return { patch, full: false, version };
    }
    return undefined;
  }
}
