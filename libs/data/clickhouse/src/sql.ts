import { FLEXPRICE_ID_RULE, isFlexPriceId } from '@flexsync/runtime';
/**
 * The one audited way values enter ClickHouse SQL. Server-side parameters (`{x:String}`) do not exist on
 * ClickHouse 18.16, which we must also support, so every value is rendered as a literal here and nowhere else.
 */

export class UnsafeSqlValueError extends Error {
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'UnsafeSqlValueError';
  }
}

/** Tenant, environment, customer and meter ids: a strict alphabet, so they are safe even before escaping. */
export function assertId(value: string, field: string): string {
  if (!isFlexPriceId(value)) {
    throw new UnsafeSqlValueError(field, `must be ${FLEXPRICE_ID_RULE}`);
  }
  return value;
}

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
};

/** A single-quoted ClickHouse string literal; backslash escapes are the same on 18.16 and current versions. */
export function quoteString(value: string): string {
  return `'${value.replace(/[\\'\n\r\t\0\b\f]/g, (ch) => ESCAPES[ch])}'`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A table or column name, optionally `database.table`: strict alphabet, back-quoted (same on 18.16 and current). */
export function quoteIdentifier(value: string, field: string): SqlFragment {
  const parts = value.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new UnsafeSqlValueError(field, 'must be a ClickHouse name ([A-Za-z_][A-Za-z0-9_]*, optionally database.table)');
  }
  return new SqlFragment(parts.map((part) => `\`${part}\``).join('.'));
}

export function quoteInteger(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isSafeInteger(value)) throw new UnsafeSqlValueError('integer', `${value} is not a safe integer`);
  return String(value);
}

/** DateTime as whole Unix seconds: no timezone parsing on the server, identical on every version. */
export function quoteDateTime(value: Date): string {
  const ms = value.getTime();
  if (!Number.isFinite(ms)) throw new UnsafeSqlValueError('datetime', 'invalid date');
  if (ms % 1000 !== 0) throw new UnsafeSqlValueError('datetime', 'must be whole seconds');
  return `toDateTime(${ms / 1000})`;
}

export type SqlValue = string | number | bigint | Date | SqlFragment | readonly (string | number)[];

/** Already-rendered SQL (e.g. a conditional clause built with `sql`). */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

function render(value: SqlValue): string {
  if (value instanceof SqlFragment) return value.text;
  if (value instanceof Date) return quoteDateTime(value);
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'number' || typeof value === 'bigint') return quoteInteger(value);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new UnsafeSqlValueError('list', 'must not be empty');
    return `(${value.map((item) => render(item)).join(', ')})`;
  }
  throw new UnsafeSqlValueError('value', `unsupported type ${typeof value}`);
}

/** Tagged template: every interpolation is escaped by its type. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlFragment {
  let text = strings[0];
  values.forEach((value, index) => {
    text += render(value) + strings[index + 1];
  });
  return new SqlFragment(text);
}

export const EMPTY_SQL = new SqlFragment('');
