/**
 * A refusing token bucket for the emulated control plane: a request finds a token or is throttled
 * (AWS answers ThrottlingException rather than queueing). Off unless the emulator is given a rate,
 * so tests of a client's backoff can make throttling happen on purpose.
 */
export class RequestBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number = perSecond,
    private readonly now: () => number = Date.now,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError('a control-plane rate needs perSecond > 0 and burst >= 1');
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes a token; false when the rate is exceeded. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
