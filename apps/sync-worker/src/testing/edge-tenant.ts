import type { TestTenant } from '@flexsync/testing';
import { uniqueTenant } from '@flexsync/testing';
import type { RunningStripeEmulator } from '@flexsync/stripe-emulator';
import { HOUR_MS, hourAgo, testApiKey, type SyncHarness } from './sync-harness';

export interface EdgeTenant {
  tenant: TestTenant;
  apiKey: string;
  window: Date;
  range: { tenantId: string; environmentId: string; timeFrom: string; timeTo: string };
}

/** A tenant with one meter and two mapped customers, and usage 5 + 6 in the hour `hoursAgo` ago. */
export async function edgeTenant(
  spec: { harness: SyncHarness; emulator: RunningStripeEmulator },
  label: string,
  hoursAgo = 2,
): Promise<EdgeTenant> {
  const tenant = uniqueTenant(label);
  const apiKey = testApiKey(label);
  spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
  await spec.harness.seedTenant(tenant, {
    apiKey,
    meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
    customers: [
      { customerId: 'client_a', stripeCustomerId: 'cus_a' },
      { customerId: 'client_b', stripeCustomerId: 'cus_b' },
    ],
  });
  const window = hourAgo(hoursAgo);
  await spec.harness.insertUsage(tenant, [
    { customerId: 'client_a', meterId: 'meter_api', quantity: '5', at: window },
    { customerId: 'client_b', meterId: 'meter_api', quantity: '6', at: window },
  ]);
  return { tenant, apiKey, window, range: hourRange(tenant, window) };
}

export function hourRange(tenant: TestTenant, start: Date): EdgeTenant['range'] {
  return { ...tenant, timeFrom: start.toISOString(), timeTo: new Date(start.getTime() + HOUR_MS).toISOString() };
}

/** Σ Stripe received per `customer/event_name`. */
export function stripeTotals(emulator: RunningStripeEmulator, apiKey: string): Record<string, string> {
  return Object.fromEntries(emulator.totals(apiKey).map((total) => [`${total.customer}/${total.eventName}`, total.totalExact]));
}
