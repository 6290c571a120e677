/** Ids in paths, queries and bodies: visible ASCII without spaces, so they log, index and compare plainly. */
export const EXTERNAL_ID_PATTERN = /^[\x21-\x7E]+$/;
export const MAX_EXTERNAL_ID_LENGTH = 255;
/** Stripe allows meter `event_name`s of up to 100 characters. */
export const MAX_STRIPE_EVENT_NAME_LENGTH = 100;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isExternalId(value: string): boolean {
  return value.length > 0 && value.length <= MAX_EXTERNAL_ID_LENGTH && EXTERNAL_ID_PATTERN.test(value);
}
