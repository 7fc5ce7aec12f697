import type { JsonObject } from './json.js';
import type { StateMetadata, StateSnapshot } from './snapshot.js';
import { metadataOf, type Stamps } from './state-metadata.js';

/**
 * DeviceState's StateSnapshot. It keeps compact Stamps and builds the per-leaf `metadata` on
 * first read (then keeps it): nothing in the agent reads metadata while publishing, and a
 * snapshot that is never asked for it never builds it. Frozen like the state; the cache is a
 * private field, which freezing does not cover. `metadata` is a getter on the prototype, so a
 * spread (`{ ...snapshot }`) leaves it out; JSON.stringify includes it through toJSON.
 */
export class ReportedSnapshot implements StateSnapshot {
  readonly state: JsonObject;
  readonly version: number;
  readonly timestamp: number;
  /** The leaves' stamps (see STAMP_EPOCH); private, so no spread or toEqual sees it. */
  readonly #stamps: Stamps;
  #metadata: StateMetadata | undefined;

  constructor(state: JsonObject, version: number, timestamp: number, stamps: Stamps) {
    this.state = state;
    this.version = version;
    this.timestamp = timestamp;
    this.#stamps = stamps;
    Object.freeze(this);
  }

  /** For DeviceState's next update. */
  get stamps(): Stamps {
    return this.#stamps;
  }

  get metadata(): StateMetadata {
    return (this.#metadata ??= metadataOf(this.#stamps));
  }

  toJSON(): StateSnapshot {
    return { state: this.state, version: this.version, timestamp: this.timestamp, metadata: this.metadata };
  }
}
