import type { CommandDispatcherApi } from '../commands/dispatcher.types.js';
import { toErrorObject } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { JsonObject } from '../state/json.js';
import { applyMergePatch } from '../state/merge-patch.js';
import { computeDelta } from '../state/state-delta.js';
import type { DeviceProfile } from './device-profile.js';

/**
 * Applies desired state when it changes, per key, as the clouds' own device guides do (Azure's
 * desired-property callback, AWS's shadow delta): a desired value is acted on when it is new or
 * differs from the desired value seen before, and then only if reported state does not have it
 * already. A desired value that merely stays the same is never applied again, so a direct command
 * (`setVolume 40`) is not undone by a stale desire (`audio.volume: 70`); a new desire (`55`)
 * applies. The first desired document after start counts as a change of every key it holds.
 *
 * Changes are run one batch at a time; those that arrive meanwhile are merged and run next. A step
 * that fails (an unknown playlist) is logged and not retried until that desired value changes.
 */
export class ReconcileLoop {
  /** The desired document the last offer() saw: the reference for "changed". */
  private previous: JsonObject = {};
  /** Changed desired members waiting while steps run. */
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

  /** Offers the whole desired document after a change. */
  offer(desired: JsonObject): void {
    const changed = computeDelta(desired, this.previous);
    this.previous = desired;
    if (!this.active || !this.profile.reconcile || Object.keys(changed).length === 0) return;
    this.pending = this.pending ? (applyMergePatch(this.pending, changed) as JsonObject) : changed;
    this.drain();
  }

  /** Stops reconciling; resolves when the steps in progress have finished. */
  async stop(): Promise<void> {
    this.active = false;
    this.pending = undefined;
    while (this.running) await this.running;
  }

  private drain(): void {
    if (this.running || !this.pending) return;
    const changed = this.pending;
    this.pending = undefined;
    this.running = this.run(changed).finally(() => {
      this.running = undefined;
      this.drain();
    });
  }

  private async run(changed: JsonObject): Promise<void> {
    const reported = this.reported();
    const delta = computeDelta(changed, reported);
    if (Object.keys(delta).length === 0) return;
    let steps;
    try {
      steps = this.profile.reconcile?.(delta, reported) ?? [];
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
