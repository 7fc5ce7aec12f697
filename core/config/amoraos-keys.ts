import { ConfigError } from '../errors.js';
import { isJsonObject } from '../state/json.js';
import { formatKeyPath } from './zod-issues.js';

/** One problem found in an AmoraOS file, in the shape of zodToConfigError's `details.issues`. */
export interface AmoraOsIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Collects the problems of an AmoraOS `config.json` (unknown keys, sections that are not objects)
 * so that one ConfigError lists them all, worded like the native schema's errors.
 */
export class AmoraOsKeyChecker {
  private readonly issues: AmoraOsIssue[] = [];

  /** Records every key of `value` not in `known`; `known` is named in the message (`what`). */
  check(path: readonly string[], value: Record<string, unknown>, known: readonly string[], what: string): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const list = [...known].toSorted().join(', ');
      this.issues.push({ path: formatKeyPath([...path, key]), message: `unknown key "${key}" (${what}: ${list})` });
    }
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
