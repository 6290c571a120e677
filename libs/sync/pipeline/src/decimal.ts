/** Exact decimal addition on strings (scale ≤ 12), so totals never pass through floating point. */
const SCALE = 12n;
const FACTOR = 10n ** SCALE;

export function decimalToScaled(value: string): bigint {
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new RangeError(`not a decimal: ${value}`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > Number(SCALE)) throw new RangeError(`more than ${SCALE} decimal places: ${value}`);
  const scaled = BigInt(whole) * FACTOR + BigInt(fraction.padEnd(Number(SCALE), '0'));
  return sign ? -scaled : scaled;
}

export function scaledToDecimal(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / FACTOR;
  const fraction = (abs % FACTOR).toString().padStart(Number(SCALE), '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

export function addDecimals(values: Iterable<string>): string {
  let total = 0n;
  for (const value of values) total += decimalToScaled(value);
  return scaledToDecimal(total);
}

/** Scale of every exact quantity here: ClickHouse `Decimal(38, 12)` and Postgres `numeric(38, 12)`. */
export const DECIMAL_SCALE = Number(SCALE);
export const DECIMAL_FACTOR = FACTOR;

/** One spelling per value (`42.000000000000` → `42`), so hashes and comparisons never depend on formatting. */
export function normalizeDecimal(value: string): string {
  return scaledToDecimal(decimalToScaled(value));
}

/** Floor division (towards −∞), which `/` on bigints is not for negative values. */
export function floorDiv(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  return dividend % divisor !== 0n && dividend < 0n !== divisor < 0n ? quotient - 1n : quotient;
}
