import { FLEXPRICE_CUSTOMER_ID_SAMPLES } from '@flexsync/testing';
import { assertId, quoteDateTime, quoteIdentifier, quoteString, sql, UnsafeSqlValueError } from './sql';

describe('ClickHouse literal rendering', () => {
  it('escapes quotes, backslashes and control characters in strings', () => {
    expect(quoteString("it's")).toBe("'it\\'s'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString("x\\'; DROP TABLE events_processed; --")).toBe("'x\\\\\\'; DROP TABLE events_processed; --'");
    expect(quoteString('line\nnext\0')).toBe("'line\\nnext\\0'");
  });

  it('renders dates as whole Unix seconds and rejects sub-second instants', () => {
    expect(quoteDateTime(new Date('2025-06-21T04:00:00Z'))).toBe('toDateTime(1750478400)');
    expect(() => quoteDateTime(new Date('2025-06-21T04:00:00.500Z'))).toThrow(UnsafeSqlValueError);
  });

  it('accepts ids from the strict alphabet and rejects anything else', () => {
    expect(assertId('client_123', 'customer_id')).toBe('client_123');
    for (const bad of ['', "a'b", 'a b', '-lead', 'x'.repeat(129), 'a\nb', 'ü']) {
      expect(() => assertId(bad, 'customer_id')).toThrow(UnsafeSqlValueError);
    }
  });

  it.each(FLEXPRICE_CUSTOMER_ID_SAMPLES)('filters by customer id $id exactly when the FlexPrice id rule accepts it ($valid)', ({ id, valid }) => {
    if (valid) expect(assertId(id, 'customer_id')).toBe(id);
    else expect(() => assertId(id, 'customer_id')).toThrow(UnsafeSqlValueError);
  });

  it('renders each interpolation of the template by its type', () => {
    expect(sql`SELECT ${'a'}, ${7}, ${['x', 'y']}, ${new Date(0)}`.text).toBe("SELECT 'a', 7, ('x', 'y'), toDateTime(0)");
    expect(() => sql`${Number.NaN}`).toThrow(UnsafeSqlValueError);
    expect(() => sql`${[]}`).toThrow(UnsafeSqlValueError);
  });

  it('back-quotes table names from a strict alphabet, optionally with a database, and rejects anything else', () => {
    expect(quoteIdentifier('meter_usage', 'table').text).toBe('`meter_usage`');
    expect(quoteIdentifier('flexprice.meter_usage', 'table').text).toBe('`flexprice`.`meter_usage`');
    for (const bad of ['', 'a.b.c', 'meter usage', 'x`; DROP TABLE y', '1table', 'a.', 'é', 'x'.repeat(65)]) {
      expect(() => quoteIdentifier(bad, 'table')).toThrow(UnsafeSqlValueError);
    }
  });
});
