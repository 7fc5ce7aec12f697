/**
 * Decides whether and when to retry a failed connection (the Azure IoT SDK's RetryPolicy shape).
 * Transports own the loop; the policy only answers questions.
 */
export interface RetryPolicy {
  /** False for errors retrying cannot fix, such as refused credentials. */
  shouldRetry(error: unknown): boolean;
  /** Milliseconds to wait before attempt number `attempt` (1-based). */
  nextRetryTimeout(attempt: number, throttled: boolean): number;
}
