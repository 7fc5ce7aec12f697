/**
 * Rules for the parts of a topic a transport builds from configuration and device data (a
 * prefix, a device id, a telemetry kind), shared by every topic-based family. Each family keeps
 * its own layout; only what makes a value safe as a topic level lives here.
 */

/** The topic prefix every family uses unless configured otherwise. */
export const DEFAULT_TOPIC_PREFIX = 'amora';

/**
 * Why a value cannot be one topic level (a device id, telemetry kind or client id), or undefined
 * when it can. Wildcards and '/' would let one device's topic match or reach another's.
 */
export function topicLevelProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (/[+#/]/.test(value)) return "must not contain '+', '#' or '/'";
  if (value.includes('\u0000')) return 'must not contain NUL';
  return undefined;
}

/**
 * Why a value cannot be a topic prefix (one or more levels), or undefined when it can. `reservedFor`
 * names what owns the `$` topics in the message (a broker's `$SYS`, AWS IoT's `$aws`).
 */
export function topicPrefixProblem(prefix: string, reservedFor = 'broker topics'): string | undefined {
  if (prefix.length === 0) return 'must not be empty';
  if (prefix.startsWith('$')) return `must not start with '$' (reserved for ${reservedFor})`;
  for (const level of prefix.split('/')) {
    const problem = topicLevelProblem(level);
    if (problem) return `has an invalid level "${level}": ${problem}`;
  }
  return undefined;
}
