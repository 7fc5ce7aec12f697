import type { JsonObject, JsonValue } from '../../../core/index.js';

/**
 * The subset of IoT Hub's query language the emulator answers on `POST /devices/query`:
 * `SELECT * FROM devices [WHERE condition]`, where a condition compares a twin path (`deviceId`,
 * `status`, `tags.site.floor`, `properties.desired.x`, `properties.reported.x`...) with a literal
 * ('text', "text", a number, true, false, null) by =, !=, <>, <, <=, >, >=, tests one with
 * IS_DEFINED(path), and combines them with AND, OR, NOT and parentheses. Anything else (projections,
 * GROUP BY, other collections) is refused with a clear error rather than answered wrongly.
 */

export type TwinPredicate = (twin: JsonObject) => boolean;

export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
}

type Token =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'literal'; readonly value: JsonValue }
  | { readonly kind: 'symbol'; readonly text: string };

/** Parses a device query; returns the predicate its WHERE clause makes (all twins without one). */
export function parseDeviceQuery(sql: string): TwinPredicate {
  const parser = new Parser(tokenize(sql));
  parser.expectWord('SELECT');
  parser.expectSymbol('*', 'only SELECT * is supported by the emulator');
  parser.expectWord('FROM');
  const collection = parser.word();
  if (collection?.toLowerCase() !== 'devices') throw new QuerySyntaxError('only FROM devices is supported by the emulator');
  if (parser.done()) return () => true;
  parser.expectWord('WHERE');
  const predicate = parser.orExpression();
  if (!parser.done()) throw new QuerySyntaxError(`unexpected ${parser.describeNext()} after the WHERE condition`);
  return predicate;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  done(): boolean {
    return this.position >= this.tokens.length;
  }

  describeNext(): string {
    const token = this.tokens[this.position];
    if (!token) return 'end of query';
    return token.kind === 'literal' ? JSON.stringify(token.value) : `"${token.text}"`;
  }

  word(): string | undefined {
    const token = this.tokens[this.position];
    if (token?.kind !== 'word') return undefined;
    this.position += 1;
    return token.text;
  }

  expectWord(word: string): void {
    if (!this.acceptWord(word)) throw new QuerySyntaxError(`expected ${word}, found ${this.describeNext()}`);
  }

  expectSymbol(symbol: string, message?: string): void {
    if (!this.acceptSymbol(symbol)) throw new QuerySyntaxError(message ?? `expected "${symbol}", found ${this.describeNext()}`);
  }

  orExpression(): TwinPredicate {
    let left = this.andExpression();
    while (this.acceptWord('OR')) {
      const [a, b] = [left, this.andExpression()];
      left = (twin) => a(twin) || b(twin);
    }
    return left;
  }

  private andExpression(): TwinPredicate {
    let left = this.unary();
    while (this.acceptWord('AND')) {
      const [a, b] = [left, this.unary()];
      left = (twin) => a(twin) && b(twin);
    }
    return left;
  }

  private unary(): TwinPredicate {
    if (this.acceptWord('NOT')) {
      const inner = this.unary();
      return (twin) => !inner(twin);
    }
    if (this.acceptSymbol('(')) {
      const inner = this.orExpression();
      this.expectSymbol(')');
      return inner;
    }
    if (this.acceptWord('IS_DEFINED')) {
      this.expectSymbol('(');
      const path = this.path();
      this.expectSymbol(')');
      return (twin) => valueAt(twin, path) !== undefined;
    }
    const path = this.path();
    const operator = this.tokens[this.position];
    if (operator?.kind !== 'symbol' || !COMPARISONS.has(operator.text)) throw new QuerySyntaxError(`expected a comparison after ${path.join('.')}, found ${this.describeNext()}`);
    this.position += 1;
    const literal = this.tokens[this.position];
    if (literal?.kind !== 'literal') throw new QuerySyntaxError(`expected a literal after ${operator.text}, found ${this.describeNext()}`);
    this.position += 1;
    const compare = COMPARISONS.get(operator.text)!;
    return (twin) => compare(valueAt(twin, path), literal.value);
  }

  private path(): string[] {
    const first = this.word();
    if (first === undefined) throw new QuerySyntaxError(`expected a twin path, found ${this.describeNext()}`);
    return first.split('.');
  }

  private acceptWord(word: string): boolean {
    const token = this.tokens[this.position];
    if (token?.kind !== 'word' || token.text.toUpperCase() !== word) return false;
    this.position += 1;
    return true;
  }

  private acceptSymbol(symbol: string): boolean {
    const token = this.tokens[this.position];
    if (token?.kind !== 'symbol' || token.text !== symbol) return false;
    this.position += 1;
    return true;
  }
}

type Comparison = (left: JsonValue | undefined, right: JsonValue) => boolean;

/** Ordering compares numbers with numbers and strings with strings only; other pairs are false. */
function ordered(test: (order: number) => boolean): Comparison {
  return (left, right) => {
    if (typeof left === 'number' && typeof right === 'number') return test(left - right);
    if (typeof left === 'string' && typeof right === 'string') return test(left < right ? -1 : left > right ? 1 : 0);
    return false;
  };
}

const COMPARISONS: ReadonlyMap<string, Comparison> = new Map<string, Comparison>([
  ['=', (left, right) => left !== undefined && JSON.stringify(left) === JSON.stringify(right)],
  ['!=', (left, right) => left !== undefined && JSON.stringify(left) !== JSON.stringify(right)],
  ['<>', (left, right) => left !== undefined && JSON.stringify(left) !== JSON.stringify(right)],
  ['<', ordered((order) => order < 0)],
  ['<=', ordered((order) => order <= 0)],
  ['>', ordered((order) => order > 0)],
  ['>=', ordered((order) => order >= 0)],
]);

function valueAt(twin: JsonObject, path: readonly string[]): JsonValue | undefined {
  let value: JsonValue | undefined = twin;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as JsonObject)[key];
  }
  return value;
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:('(?:[^']|'')*')|("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w$])|([A-Za-z_$][\w$.-]*)|(<=|>=|<>|!=|[=<>*(),]))/y;
  let position = 0;
  while (position < sql.length) {
    if (/^\s*$/.test(sql.slice(position))) break;
    pattern.lastIndex = position;
    const match = pattern.exec(sql);
    if (!match) throw new QuerySyntaxError(`cannot read the query at "${sql.slice(position, position + 20).trim()}"`);
    position = pattern.lastIndex;
    const [, single, double, number, word, symbol] = match;
    if (single !== undefined) tokens.push({ kind: 'literal', value: single.slice(1, -1).replace(/''/g, "'") });
    else if (double !== undefined) tokens.push({ kind: 'literal', value: JSON.parse(double) as string });
    else if (number !== undefined) tokens.push({ kind: 'literal', value: Number(number) });
    else if (word !== undefined) {
      const lower = word.toLowerCase();
      if (lower === 'true' || lower === 'false') tokens.push({ kind: 'literal', value: lower === 'true' });
      else if (lower === 'null') tokens.push({ kind: 'literal', value: null });
      else tokens.push({ kind: 'word', text: word });
    } else tokens.push({ kind: 'symbol', text: symbol! });
  }
  return tokens;
}
