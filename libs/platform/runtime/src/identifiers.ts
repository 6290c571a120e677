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

/**
 * Ids other systems give us (Stripe customer and event ids, FlexPrice customer ids named in Stripe metadata): visible
 * ASCII without spaces, so they log, index and compare plainly. The API and the Kafka consumer check them the same way.
 */
export const EXTERNAL_ID_PATTERN = /^[\x21-\x7E]+$/;
export const MAX_EXTERNAL_ID_LENGTH = 255;
export const EXTERNAL_ID_RULE = `1-${MAX_EXTERNAL_ID_LENGTH} visible ASCII characters without spaces`;

export function isExternalId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_EXTERNAL_ID_LENGTH && EXTERNAL_ID_PATTERN.test(value);
}
