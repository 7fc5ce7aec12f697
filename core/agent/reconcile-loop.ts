import type { CommandDispatcherApi } from '../commands/dispatcher.types.js';
import { toErrorObject } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { JsonObject } from '../state/json.js';
import { deepEqual } from '../state/merge-patch.js';
import type { DeviceProfile } from './device-profile.js';

/**
 * Runs the profile's reconciler on each new delta, one delta at a time. A given delta is
 * reconciled once: a step that fails (an unknown playlist) leaves the delta as it is, and the
 * loop does not retry it until the delta changes, so it can never spin. Deltas that arrive while
 * steps are running are coalesced to the latest.
 */
export class ReconcileLoop {
  private lastReconciled?: JsonObject;
  private pending?: JsonObject;
  private running?: Promise<void>;
  private sequence = 0;
  // Keeps reconcile command ids apart from remote ones in the dispatcher's dedupe cache.
  private readonly idPrefix = `reconcile-${Math.random().toString(36).slice(2, 10)}`;
  private active = true;

  constructor(
    private readonly profile: DeviceProfile,
    private readonly dispatcher: CommandDispatcherApi,
    private readonly reported: () => JsonObject,
    private readonly logger: Logger,
  ) {}

  /** Offers the latest delta (desired minus reported). */
  offer(delta: JsonObject): void {
    if (!this.active || !this.profile.reconcile) return;
    if (Object.keys(delta).length === 0) {
      // Converged: the same desired state may need reconciling again if reported drifts later.
      this.lastReconciled = undefined;
      this.pending = undefined;
      return;
    }
    if (this.running) {
      this.pending = delta;
      return;
    }
    if (this.lastReconciled && deepEqual(delta, this.lastReconciled)) return;
    this.running = this.run(delta).finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.offer(next);
    });
  }

  /** Stops reconciling; resolves when the steps in progress have finished. */
  async stop(): Promise<void> {
    this.active = false;
    this.pending = undefined;
    while (this.running) await this.running;
  }

  private async run(delta: JsonObject): Promise<void> {
    this.lastReconciled = delta;
    let steps;
    try {
      steps = this.profile.reconcile?.(delta, this.reported()) ?? [];
    } catch (error) {
      this.logger.error({ err: toErrorObject(error), delta }, 'reconciler failed');
      return;
    }
    for (const step of steps) {
      if (!this.active) return;
      const response = await this.dispatcher.execute({
        command: step.command,
        command_id: `${this.idPrefix}-${++this.sequence}`,
        params: step.params,
      });
      if (response.success) this.logger.info({ command: step.command, params: step.params }, 'reconciled desired state');
      else this.logger.warn({ command: step.command, params: step.params, err: response.error }, 'reconcile step failed');
    }
  }
}
