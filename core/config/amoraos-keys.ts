import { ConfigError } from '../errors.js';
import { isJsonObject } from '../state/json.js';
import { formatKeyPath } from './zod-issues.js';

/** One problem found in an AmoraOS file, in the shape of zodToConfigError's `details.issues`. */
export interface AmoraOsIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Collects the problems of an AmoraOS `config.json` so that one ConfigError lists them all, worded
 * like the native schema's errors, and the keys it ignores. An unknown key one or two letters away
 * from a known one is a typo and an error (`brokr` would leave a device without its broker); any
 * other unknown key belongs to something this project does not run and is ignored, named in one
 * warning by whoever loads the file (LoadedConfig.ignoredKeys), so a device's file runs unchanged.
 */
export class AmoraOsKeyChecker {
  private readonly issues: AmoraOsIssue[] = [];
  private readonly unused: string[] = [];

  /** Records every key of `value` not in `known`; `known` is named in the message (`what`). */
  check(path: readonly string[], value: Record<string, unknown>, known: readonly string[], what: string): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = closest(key, known);
      if (near === undefined) {
        this.unused.push(formatKeyPath([...path, key]));
        continue;
      }
      const list = [...known].toSorted().join(', ');
      this.issues.push({ path: formatKeyPath([...path, key]), message: `unknown key "${key}", did you mean "${near}"? (${what}: ${list})` });
    }
  }

  /** Key paths recorded as ignored. */
  get ignored(): readonly string[] {
    return [...this.unused];
  }

  /**
   * The object at `raw[key]` ({} when absent), its keys checked against `known` unless that is
   * undefined; anything else than an object is recorded as a problem.
   */
  section(raw: Record<string, unknown>, key: string, known: readonly string[] | undefined): Record<string, unknown> {
    const value = raw[key];
    if (value === undefined) return {};
    if (!isJsonObject(value)) {
      this.add([key], 'expected an object');
      return {};
    }
    const section = value as Record<string, unknown>;
    if (known) this.check([key], section, known, `${key} keys`);
    return section;
  }

  add(path: readonly string[], message: string): void {
    this.issues.push({ path: formatKeyPath(path), message });
  }

  /** @throws ConfigError listing every problem recorded, when there is one. */
  throwIfAny(): void {
    if (this.issues.length === 0) return;
    const text = this.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${text}`, { details: { path: this.issues[0]?.path, issues: [...this.issues] } });
  }
}

/** The entries of `value` whose value is defined. */
export function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}

/** The known key `key` is a mistyping of: at most one edit away (two for names of five letters or more), the nearest first. */
function closest(key: string, known: readonly string[]): string | undefined {
  const a = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const b = name.toLowerCase();
    const limit = Math.min(a.length, b.length) >= 5 ? 2 : 1;
    if (Math.abs(a.length - b.length) > limit) continue;
    const distance = editDistance(a, b);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_row, i) => Array.from({ length: b.length + 1 }, (_column, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
