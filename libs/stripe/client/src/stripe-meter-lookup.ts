import type { BillingMeter, StripeAccountClient } from './stripe-account-client';

/** Stripe meter ids (`mtr_…`); anything else in a mapping's `provider_meter_id` is an event_name. */
const METER_ID = /^mtr_[A-Za-z0-9]+$/;

/** The aggregation the sync needs: its meter events are deltas that Stripe must add up. */
export const REQUIRED_METER_FORMULA = 'sum';

/** Whether a Stripe meter can receive the sync's usage, and if not, why (a sentence an admin can act on). */
export type StripeMeterCheck = { usable: true; meter: BillingMeter } | { usable: false; reason: string; meter?: BillingMeter };

/** A mapping's `provider_meter_id`: a meter id (`mtr_…`) or an event_name, as the playbook allows both. */
export function isStripeMeterId(reference: string): boolean {
  return METER_ID.test(reference);
}

/**
 * The meter a reference names among the account's meters: by id, else by event_name. Stripe keeps event_names
 * unique among active meters only, so an active meter wins over deactivated ones, then the newest.
 */
export function resolveStripeMeter(meters: readonly BillingMeter[], reference: string): BillingMeter | undefined {
  const byId = meters.find((meter) => meter.id === reference);
  if (byId) return byId;
  const named = meters.filter((meter) => meter.eventName === reference);
  return named.sort((a, b) => Number(b.status === 'active') - Number(a.status === 'active') || b.created - a.created)[0];
}

/** The verdict for one reference: missing, inactive or not aggregating with `sum` is unusable, with the reason. */
export function checkStripeMeter(meters: readonly BillingMeter[], reference: string): StripeMeterCheck {
  const meter = resolveStripeMeter(meters, reference);
  if (!meter) {
    return {
      usable: false,
      reason: `meter not found: no Stripe meter has ${isStripeMeterId(reference) ? 'id' : 'id or event_name'} '${reference}'`,
    };
  }
  const named = `Stripe meter ${meter.id} (event_name '${meter.eventName}')`;
  if (meter.status !== 'active') return { usable: false, meter, reason: `meter inactive: ${named} is ${meter.status}` };
  if (meter.aggregationFormula !== REQUIRED_METER_FORMULA) {
    return {
      usable: false,
      meter,
      reason:
        `meter formula ${meter.aggregationFormula} is not ${REQUIRED_METER_FORMULA}: ${named} aggregates with ` +
        `'${meter.aggregationFormula}', but the sync sends usage deltas that only a '${REQUIRED_METER_FORMULA}' meter adds up`,
    };
  }
  return { usable: true, meter };
}

/**
 * Checks every reference with one listing of the account's meters (active and inactive, every page), so a run or a
 * mapping change costs one Stripe read however many mappings it covers.
 */
export async function checkStripeMeters(client: StripeAccountClient, references: Iterable<string>): Promise<Map<string, StripeMeterCheck>> {
  const meters = await client.listMeters();
  return new Map([...new Set(references)].map((reference) => [reference, checkStripeMeter(meters, reference)]));
}
