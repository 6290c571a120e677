import { addDecimals, decimalToScaled, scaledToDecimal } from './decimal';

describe('exact decimal totals', () => {
  it('adds quantities that floating point would round', () => {
    expect(addDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(addDecimals(Array.from({ length: 1000 }, () => '0.001'))).toBe('1');
  });

  it('keeps 12 decimal places and negative corrections', () => {
    expect(addDecimals(['42.000000000001', '-0.000000000001'])).toBe('42');
    expect(scaledToDecimal(decimalToScaled('-3.5'))).toBe('-3.5');
  });

  it('rejects values that are not plain decimals or exceed the scale', () => {
    expect(() => decimalToScaled('1e3')).toThrow(RangeError);
    expect(() => decimalToScaled('0.0000000000001')).toThrow(RangeError);
  });
});
