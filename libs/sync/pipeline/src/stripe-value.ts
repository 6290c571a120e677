import { DECIMAL_FACTOR, decimalToScaled, floorDiv, scaledToDecimal } from './decimal';

export const MAX_VALUE_PRECISION = 12;
/** The ledger keeps values in a Postgres bigint. */
const MAX_ABS_VALUE = 2n ** 63n - 1n;

export interface StripeValueInput {
  /** Quantity this push adds to the series (a correction's delta may be negative), exact decimal. */
  quantityDelta: string;
  /** Decimal places the meter mapping keeps: value = quantity × 10^precision. */
  precision: number;
  /** Sub-unit value carried from the series' earlier pushes, in [0, 1), in units of `carriedPrecision`. */
  carried: string;
  carriedPrecision: number;
}

export interface StripeValue {
  /** Whole number for Stripe. */
  value: bigint;
  /** What stays below one unit, in [0, 1), carried into the series' next push. */
  remainder: string;
}

function assertPrecision(precision: number): bigint {
  if (!Number.isInteger(precision) || precision < 0 || precision > MAX_VALUE_PRECISION) {
    throw new RangeError(`value precision must be a whole number from 0 to ${MAX_VALUE_PRECISION}`);
  }
  return 10n ** BigInt(precision);
}

/** Re-expresses a carried remainder in the units of another precision (exact: see `toStripeValue`). */
function rescale(scaled: bigint, from: number, to: number): bigint {
  if (to >= from) return scaled * assertPrecision(to - from);
  const divisor = assertPrecision(from - to);
  if (scaled % divisor !== 0n) throw new RangeError('carried remainder cannot be rescaled exactly');
  return scaled / divisor;
}

/**
 * Stripe takes whole numbers. The exact value is `carried + quantityDelta × 10^precision`; Stripe gets its floor
 * and the fraction (in [0, 1)) is carried to the next push of the same (customer, meter, event_type), whichever
 * window or revision that is. So Stripe's running total for a series is always
 * `floor(FlexPrice's running total × 10^precision)`: it trails by less than one unit and the gap never grows.
 *
 * Quantities have at most 12 decimals, so a remainder at precision p has at most 12 − p: a precision change can
 * rescale it exactly in either direction.
 */
export function toStripeValue(input: StripeValueInput): StripeValue {
  const factor = assertPrecision(input.precision);
  assertPrecision(input.carriedPrecision);
  const carried = rescale(decimalToScaled(input.carried), input.carriedPrecision, input.precision);
  const exact = carried + decimalToScaled(input.quantityDelta) * factor;
  const value = floorDiv(exact, DECIMAL_FACTOR);
  if (value > MAX_ABS_VALUE || value < -MAX_ABS_VALUE) throw new RangeError('meter event value is out of range');
  return { value, remainder: scaledToDecimal(exact - value * DECIMAL_FACTOR) };
}
