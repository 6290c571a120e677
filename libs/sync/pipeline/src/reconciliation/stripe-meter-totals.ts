import type { StripeAccountClient } from '@flexsync/stripe-client';
import type { LedgerWindow, StripeTarget } from '../ledger/ledger-rows';

const HOUR_MS = 3_600_000;

export function targetKey(target: StripeTarget): string {
  return `${target.eventName}\u0000${target.stripeCustomerId}`;
}

export function windowKey(window: LedgerWindow): string {
  return `${window.start.toISOString()}/${window.end.toISOString()}`;
}

/**
 * What Stripe counts per target and window, from `GET /v1/billing/meters/{id}/event_summaries`. Hour-aligned windows
 * are read in one call per target over the whole range, grouped by hour (Stripe answers one summary per hour, paged);
 * other windows one call each, without grouping. A target whose meter does not exist in Stripe counts 0.
 */
export class StripeMeterTotals {
  private meterIds: Map<string, string> | undefined;

  constructor(private readonly client: StripeAccountClient) {}

  async read(target: StripeTarget, windows: readonly LedgerWindow[]): Promise<Map<string, bigint>> {
    const totals = new Map<string, bigint>(windows.map((window) => [windowKey(window), 0n]));
    const meterId = (await this.meters()).get(target.eventName);
    if (meterId === undefined || windows.length === 0) return totals;
    const hourly = windows.every((window) => window.start.getTime() % HOUR_MS === 0 && window.end.getTime() % HOUR_MS === 0);
    if (hourly) {
      const start = new Date(Math.min(...windows.map((window) => window.start.getTime())));
      const end = new Date(Math.max(...windows.map((window) => window.end.getTime())));
      const summaries = await this.client.listMeterEventSummaries({
        meterId,
        stripeCustomerId: target.stripeCustomerId,
        startTime: start,
        endTime: end,
        groupBy: 'hour',
      });
      for (const window of windows) {
        const from = window.start.getTime() / 1000;
        const to = window.end.getTime() / 1000;
        const sum = summaries
          .filter((summary) => summary.startTime >= from && summary.endTime <= to)
          .reduce((total, summary) => total + BigInt(Math.round(summary.aggregatedValue)), 0n);
        totals.set(windowKey(window), sum);
      }
      return totals;
    }
    for (const window of windows) {
      const summaries = await this.client.listMeterEventSummaries({
        meterId,
        stripeCustomerId: target.stripeCustomerId,
        startTime: window.start,
        endTime: window.end,
      });
      totals.set(
        windowKey(window),
        summaries.reduce((total, summary) => total + BigInt(Math.round(summary.aggregatedValue)), 0n),
      );
    }
    return totals;
  }

  /** Stripe meter ids by event name, read once per reconciliation run. */
  private async meters(): Promise<Map<string, string>> {
    if (this.meterIds === undefined) {
      const meters = await this.client.listMeters();
      this.meterIds = new Map(meters.map((meter) => [meter.eventName, meter.id]));
    }
    return this.meterIds;
  }
}
