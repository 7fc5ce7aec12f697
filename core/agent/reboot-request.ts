/**
 * A reboot asked for by the `reboot` command. The command only marks it: the agent carries it out
 * after the answer has left, by going offline with reason `reboot` on every transport and then
 * running the configured action, so the caller hears "rebooting" before the device goes away.
 */
export class RebootRequest {
  private state: 'none' | 'requested' | 'taken' = 'none';

  /** Marks a reboot to run after the current answer; ignored once one is under way. */
  request(): void {
    if (this.state === 'none') this.state = 'requested';
  }

  /** True exactly once after a request, so the action runs once however many answers follow. */
  take(): boolean {
    if (this.state !== 'requested') return false;
    this.state = 'taken';
    return true;
  }
}
