/**
 * Reads variables one by one out of the merged environment (real variables over `.env`), validating each with a
 * zod schema and *collecting* problems instead of stopping at the first, so `loadConfig` can report them all.
 *
 * Conventions every variable follows:
 * - empty or whitespace-only = unset (the default applies); `readRaw` exists for the few where empty means
 *   something (`LOG_DIR=` = console only);
 * - a problem line is `NAME: expected <what>, got <value>`; for secret variables the value is replaced by its
 *   length, so problems are always safe to print.
 */
import { z } from 'zod';

export interface VariableRule<T> {
  /** Parses the trimmed value. */
  schema: z.ZodType<T>;
  /** What the variable accepts, completing "expected …" in the problem line. */
  expected: string;
}

/** Longest value quoted in a problem line; longer ones are cut with `…`. */
const MAX_SHOWN_LENGTH = 80;

export class EnvironmentReader {
  readonly problems: string[] = [];

  constructor(
    private readonly values: Readonly<Record<string, string | undefined>>,
    private readonly secretNames: ReadonlySet<string>,
  ) {}

  /** The value exactly as given (`undefined` when the variable is absent, `''` when set empty). */
  readRaw(name: string): string | undefined {
    return this.values[name];
  }

  /** The value, or `undefined` when unset, empty or whitespace only. Not trimmed: free text keeps its spaces. */
  readText(name: string): string | undefined {
    const value = this.values[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  isSet(name: string): boolean {
    return this.readText(name) !== undefined;
  }

  /** The parsed value, or `undefined` when unset or invalid (a problem is then recorded). */
  readOptional<T>(name: string, rule: VariableRule<T>): T | undefined {
    const text = this.readText(name);
    if (text === undefined) return undefined;
    const result = rule.schema.safeParse(text.trim());
    if (result.success) return result.data;
    this.addProblem(name, `expected ${rule.expected}, got ${this.describe(name, text)}`);
    return undefined;
  }

  /** The parsed value, or `fallback` when unset or invalid (a problem is then recorded). */
  read<T>(name: string, rule: VariableRule<T>, fallback: T): T {
    return this.readOptional(name, rule) ?? fallback;
  }

  addProblem(name: string, text: string): void {
    this.problems.push(`${name}: ${text}`);
  }

  private describe(name: string, value: string): string {
    if (this.secretNames.has(name)) return `a value of ${value.length} characters (hidden: secret)`;
    const shown = value.length > MAX_SHOWN_LENGTH ? `${value.slice(0, MAX_SHOWN_LENGTH)}…` : value;
    return JSON.stringify(shown);
  }
}

// ---- rules -------------------------------------------------------------------------------------------------

const DIGITS = /^\+?\d+$/;
const DECIMAL = /^\+?(\d+(\.\d*)?|\.\d+)$/;

export function integerRule(minimum: number, maximum?: number): VariableRule<number> {
  return {
    schema: z.string().regex(DIGITS).transform(Number)
      .refine((value) => value >= minimum && (maximum === undefined || value <= maximum)),
    expected: maximum === undefined ? `an integer of at least ${minimum}` : `an integer from ${minimum} to ${maximum}`,
  };
}

/** Non-negative decimals; `positive` excludes zero. */
export function numberRule(options: { positive: boolean }): VariableRule<number> {
  return {
    schema: z.string().regex(DECIMAL).transform(Number).refine((value) => !options.positive || value > 0),
    expected: options.positive ? 'a positive number' : 'a number of at least 0',
  };
}

export const booleanRule: VariableRule<boolean> = {
  schema: z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'], case: 'insensitive' }),
  expected: 'true/false, 1/0 or yes/no',
};

/** Case-insensitive choice; `-` is read as `_` (`customer-service` = `customer_service`). */
export function choiceRule<const Choice extends string>(choices: readonly Choice[]): VariableRule<Choice> {
  return {
    schema: z.string().transform((value) => value.toLowerCase().replaceAll('-', '_')).pipe(z.enum(choices)),
    expected: `one of ${choices.join(', ')}`,
  };
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([KMG]?)B?$/i;
const SIZE_MULTIPLIERS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Bytes: plain (`1048576`) or with a binary K/M/G suffix (`512K`, `100M`, `1G`; a trailing `B` is allowed). */
export function sizeRule(minimumBytes: number, minimumLabel: string): VariableRule<number> {
  return {
    schema: z.string().regex(SIZE).transform((value) => {
      const [, amount = '0', unit = ''] = SIZE.exec(value) ?? [];
      return Math.floor(Number(amount) * (SIZE_MULTIPLIERS[unit.toUpperCase()] ?? 1));
    }).refine((bytes) => bytes >= minimumBytes),
    expected: `a size in bytes or with a K, M or G suffix (e.g. 512K, 100M), at least ${minimumLabel}`,
  };
}

function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** An http(s) URL, returned without trailing slashes so callers can append paths. */
export const httpUrlRule: VariableRule<string> = {
  schema: z.string().refine((value) => hasProtocol(value, ['http:', 'https:'])).transform((value) => value.replace(/\/+$/, '')),
  expected: 'an http:// or https:// URL',
};

export const redisUrlRule: VariableRule<string> = {
  schema: z.string().refine((value) => hasProtocol(value, ['redis:', 'rediss:'])),
  expected: 'a redis:// or rediss:// URL',
};

/** A route path: starts with `/`, no query, fragment or spaces; a trailing slash is dropped (`/` stays). */
export const routePathRule: VariableRule<string> = {
  schema: z.string().regex(/^\/[^\s?#]*$/).transform((value) => (value.length > 1 ? value.replace(/\/+$/, '') || '/' : value)),
  expected: 'a path starting with / (e.g. /wechat)',
};

/** An identifier safe in URLs, Redis keys and XML (WeChat AppIDs look like `wx` + 16 hex digits). */
export const identifierRule: VariableRule<string> = {
  schema: z.string().regex(/^[A-Za-z0-9_-]+$/),
  expected: 'letters, digits, _ or - (e.g. wx1234567890abcdef)',
};
