/**
 * The one shape of FlexPrice ids the services accept for tenants, environments and customers: what a token may
 * name, what a webhook path may carry and what may go into a ClickHouse filter. One pattern, so an id one service
 * accepts is never refused by another.
 */
export const FLEXPRICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

export const FLEXPRICE_ID_RULE = '1-128 letters, digits or _ . : @ - (starting with a letter or digit)';

export function isFlexPriceId(value: unknown): value is string {
  return typeof value === 'string' && FLEXPRICE_ID_PATTERN.test(value);
}
