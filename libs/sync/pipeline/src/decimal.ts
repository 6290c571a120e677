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
