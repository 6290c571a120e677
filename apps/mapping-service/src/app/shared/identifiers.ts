export { EXTERNAL_ID_PATTERN, isExternalId, MAX_EXTERNAL_ID_LENGTH } from '@flexsync/runtime';
/** Stripe allows meter `event_name`s of up to 100 characters. */
export const MAX_STRIPE_EVENT_NAME_LENGTH = 100;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
