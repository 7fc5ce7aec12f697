/**
 * Remembers the signatures of accepted commands until they expire, so the same signed command
 * sent again (a replay) is refused while it would still be valid; after that, its expiry refuses
 * it. A caller's idempotent retry signs again and passes; the dispatcher's command_id dedupe then
 * answers it without running it twice.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  /** True the first time a signature is offered (remembered until `expiresAt`, epoch ms). */
  admit(signature: string, expiresAt: number, now: number): boolean {
    for (const [known, until] of this.seen) {
      // Oldest first (insertion order, and expiries rise with it): stop at the first one alive.
      if (until > now) break;
      this.seen.delete(known);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, expiresAt);
    return true;
  }
}
