import { decimalToScaled, floorDiv, scaledToDecimal } from './decimal';
import { toStripeValue } from './stripe-value';

const send = (quantityDelta: string, precision: number, carried = '0', carriedPrecision = precision) =>
  toStripeValue({ quantityDelta, precision, carried, carriedPrecision });

describe('Stripe whole-number values', () => {
  it('scales by the mapping precision', () => {
    expect(send('42', 0)).toEqual({ value: 42n, remainder: '0' });
    expect(send('1.75', 2)).toEqual({ value: 175n, remainder: '0' });
    expect(send('0.000000000001', 12)).toEqual({ value: 1n, remainder: '0' });
  });

  it('sends the floor and carries the fraction instead of dropping it', () => {
    expect(send('0.6', 0)).toEqual({ value: 0n, remainder: '0.6' });
    expect(send('0.6', 0, '0.6')).toEqual({ value: 1n, remainder: '0.2' });
    expect(send('1.2345', 2, '0.5')).toEqual({ value: 123n, remainder: '0.95' });
  });

  it('handles negative corrections, keeping the carried remainder in [0, 1)', () => {
    expect(send('-6', 0)).toEqual({ value: -6n, remainder: '0' });
    expect(send('-0.3', 0, '0.2')).toEqual({ value: -1n, remainder: '0.9' });
  });

  it('rescales a carried remainder exactly when the mapping precision changes', () => {
    expect(send('0', 2, '0.5', 0)).toEqual({ value: 50n, remainder: '0' });
    expect(send('0', 0, '0.5', 2)).toEqual({ value: 0n, remainder: '0.005' });
  });

  it("keeps Stripe's running total at floor(FlexPrice's running total × 10^precision) whatever the sequence", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const precision of [0, 1, 3, 6]) {
      let carried = '0';
      let sent = 0n;
      let measured = 0n;
      for (let i = 0; i < 500; i += 1) {
        const delta = scaledToDecimal(BigInt(Math.floor((random() - 0.3) * 1e9)) * 1000n);
        measured += decimalToScaled(delta);
        const result = send(delta, precision, carried);
        sent += result.value;
        carried = result.remainder;
        expect(sent).toBe(floorDiv(measured * 10n ** BigInt(precision), 10n ** 12n));
        expect(decimalToScaled(carried) >= 0n && decimalToScaled(carried) < 10n ** 12n).toBe(true);
      }
    }
  });

  it('refuses precisions outside 0–12', () => {
    expect(() => send('1', 13)).toThrow(RangeError);
    expect(() => send('1', -1)).toThrow(RangeError);
  });
});
