/**
 * The shape of ids FlexPrice issues — tenants, environments, customers, meters: what a token may name, what a
 * webhook path may carry, what the mapping API stores, what a sync request may name and what may go into a
 * ClickHouse filter. One pattern, so an id one path accepts is never refused by another (a customer mapped by the
 * API can always be synced on its own).
 */
export const FLEXPRICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
export const MAX_FLEXPRICE_ID_LENGTH = 128;

export const FLEXPRICE_ID_RULE = `1-${MAX_FLEXPRICE_ID_LENGTH} letters, digits or _ . : @ - (starting with a letter or digit)`;

export function isFlexPriceId(value: unknown): value is string {
  return typeof value === 'string' && FLEXPRICE_ID_PATTERN.test(value);
}

/**
 * Ids Stripe issues (customer, event, meter, account ids): visible ASCII without spaces, up to Stripe's 255
 * characters, so they log, index and compare plainly. Only Stripe ids follow this rule; a FlexPrice id named in
 * Stripe metadata follows the FlexPrice rule.
 */
export const EXTERNAL_ID_PATTERN = /^[\x21-\x7E]{1,255}$/;
export const MAX_EXTERNAL_ID_LENGTH = 255;
export const EXTERNAL_ID_RULE = `1-${MAX_EXTERNAL_ID_LENGTH} visible ASCII characters without spaces`;

export function isExternalId(value: unknown): value is string {
  return typeof value === 'string' && EXTERNAL_ID_PATTERN.test(value);
}

/** Every kind of id the services accept, and the one rule each follows. */
export type IdKind = 'tenant' | 'environment' | 'flexprice_customer' | 'flexprice_meter' | 'stripe';

export interface IdRule {
  /** Anchored, length included: usable as is by class-validator `@Matches`, and by Postgres `~` (`db:check-ids`). */
  readonly pattern: RegExp;
  readonly maxLength: number;
  /** For a 400's reason: "customer_id must be <description>". */
  readonly description: string;
}

const FLEXPRICE_RULE: IdRule = { pattern: FLEXPRICE_ID_PATTERN, maxLength: MAX_FLEXPRICE_ID_LENGTH, description: FLEXPRICE_ID_RULE };
const STRIPE_RULE: IdRule = { pattern: EXTERNAL_ID_PATTERN, maxLength: MAX_EXTERNAL_ID_LENGTH, description: EXTERNAL_ID_RULE };

export const ID_RULES: Readonly<Record<IdKind, IdRule>> = {
  tenant: FLEXPRICE_RULE,
  environment: FLEXPRICE_RULE,
  flexprice_customer: FLEXPRICE_RULE,
  flexprice_meter: FLEXPRICE_RULE,
  stripe: STRIPE_RULE,
};

export function matchesIdRule(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && ID_RULES[kind].pattern.test(value);
}
