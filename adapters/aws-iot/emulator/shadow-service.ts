import { shadowTopic, type ParsedShadowTopic } from '../shadow-topics.js';
import type { DeleteOutcome, GetOutcome, ShadowAddress, ShadowStore, UpdateOutcome } from './shadow-store.js';

/** Publishes one message from the service (QoS 1, not retained). */
export type ServicePublish = (topic: string, payload: string) => void;

/**
 * The shadow service's two front doors over one ShadowStore: MQTT requests are answered on the
 * `/accepted` and `/rejected` topics; REST requests are answered in the HTTP response. Accepted
 * updates and deletes notify MQTT subscribers the same way whichever door they came through.
 */
/** Called before an update is applied; tests use it to stage a concurrent writer winning a race. */
export type BeforeUpdateHook = (address: ShadowAddress) => void;

export class ShadowService {
  /** See BeforeUpdateHook; runs before every update, MQTT or REST. */
  beforeUpdate: BeforeUpdateHook | undefined;
  private inHook = false;

  constructor(
    private readonly store: ShadowStore,
    private readonly publish: ServicePublish,
    private readonly now: () => number = Date.now,
  ) {}

  /** Handles a client's publish to `get`, `update` or `delete`. */
  handleMqttRequest(topic: ParsedShadowTopic, payload: Uint8Array): void {
    const address = addressOf(topic);
    switch (topic.operation) {
      case 'get': {
        const outcome = this.store.get(address, payload);
        this.answer(address, 'get', outcome.ok ? outcome.accepted : undefined, outcome.ok ? undefined : outcome.error);
        return;
      }
      case 'update':
        this.update(address, payload, true);
        return;
      case 'delete':
        this.delete(address, payload, true);
        return;
    }
  }

  get(address: ShadowAddress): GetOutcome {
    return this.store.get(address);
  }

  /** Applies an update and notifies subscribers; `viaMqtt` also answers on `/update/rejected`. */
  update(address: ShadowAddress, payload: Uint8Array | string, viaMqtt = false): UpdateOutcome {
    const hook = this.beforeUpdate;
    if (hook && !this.inHook) {
      // A hook that updates the shadow itself does not run again for that inner update.
      this.inHook = true;
      try {
        hook(address);
      } finally {
        this.inHook = false;
      }
    }
    const outcome = this.store.update(address, payload);
    if (!outcome.ok) {
      if (viaMqtt) this.answer(address, 'update', undefined, outcome.error);
      return outcome;
    }
    const { thingName, shadowName } = address;
    this.answer(address, 'update', outcome.accepted, undefined);
    if (outcome.delta) this.publish(shadowTopic(thingName, shadowName, 'update/delta'), JSON.stringify(outcome.delta));
    this.publish(shadowTopic(thingName, shadowName, 'update/documents'), JSON.stringify(outcome.documents));
    return outcome;
  }

  delete(address: ShadowAddress, payload: Uint8Array | string = '', viaMqtt = false): DeleteOutcome {
    const outcome = this.store.delete(address, payload);
    if (outcome.ok || viaMqtt) this.answer(address, 'delete', outcome.ok ? outcome.accepted : undefined, outcome.ok ? undefined : outcome.error);
    return outcome;
  }

  listNamedShadows(thingName: string): string[] {
    return this.store.listNamedShadows(thingName);
  }

  private answer(address: ShadowAddress, operation: 'get' | 'update' | 'delete', accepted: object | undefined, error: object | undefined): void {
    const { thingName, shadowName } = address;
    if (accepted) {
      this.publish(shadowTopic(thingName, shadowName, `${operation}/accepted`), JSON.stringify(accepted));
    } else {
      // Rejections carry the time the service refused the request.
      const body = { ...error, timestamp: Math.floor(this.now() / 1000) };
      this.publish(shadowTopic(thingName, shadowName, `${operation}/rejected`), JSON.stringify(body));
    }
  }
}

function addressOf(topic: ParsedShadowTopic): ShadowAddress {
  return topic.shadowName === undefined ? { thingName: topic.thingName } : { thingName: topic.thingName, shadowName: topic.shadowName };
}
