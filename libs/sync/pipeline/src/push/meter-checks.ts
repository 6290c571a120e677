import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { TenantScope } from '@flexsync/persistence';
import { checkStripeMeters, type StripeAccountClient, StripeCallError, type StripeMeterCheck } from '@flexsync/stripe-client';
import type { RunRef } from '../ledger/ledger-rows';
import type { MeterMappingView } from '../ledger/mappings';

/** How long a run's meter verdicts are reused by its later pages (a run pushes its windows well within it). */
export const DEFAULT_METER_CHECK_TTL_MS = 10 * 60_000;

export type MeterCheckResult = 'usable' | 'missing' | 'inactive' | 'formula' | 'lookup_failed';

/** Today's mappings with each one's Stripe meter checked, and the event names rows frozen earlier must not reach. */
export interface CheckedMeters {
  /** Each mapping with `eventName` resolved from a meter id when the mapping names one, or the reason it cannot be used. */
  meters: Map<string, MeterMappingView>;
  /** Event names of unusable meters → why; a frozen row whose event goes there is not sent. */
  unusableEventNames: Map<string, string>;
}

interface CachedChecks {
  expiresAtMs: number;
  checks: Map<string, StripeMeterCheck>;
}

function resultOf(check: StripeMeterCheck): MeterCheckResult {
  if (check.usable) return 'usable';
  if (check.reason.startsWith('meter not found')) return 'missing';
  if (check.reason.startsWith('meter inactive')) return 'inactive';
  if (check.reason.startsWith('meter formula')) return 'formula';
  return 'lookup_failed';
}

/**
 * Before a push, every mapped Stripe meter must exist, be active and aggregate with `sum` (design: usage is sent as
 * deltas, which only a sum adds up); rows for any other meter fail with the reason instead of being sent. The account's
 * meters are listed once per workflow run and tenant (one Stripe read however many pages and rows the run pushes).
 * A refused key is left to the push itself, which classifies it and opens the tenant's circuit.
 */
export class PushMeterChecks {
  private readonly cache = new Map<string, CachedChecks>();
  private readonly checked: Counter<'result'>;

  constructor(
    registry: Registry,
    private readonly ttlMs = DEFAULT_METER_CHECK_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.checked = new Counter({
      name: 'stripe_sync_meter_checks_total',
      help: 'Stripe meters checked before a push, by verdict (usable, missing, inactive, formula, lookup_failed)',
      labelNames: ['result'],
      registers: [registry],
    });
  }

  /**
   * The verdict for each Stripe meter the mappings name (by event_name or meter id); undefined when the key was
   * refused. A listing that fails otherwise makes every meter unusable for this page, so its rows fail and are retried.
   */
  async check(
    scope: TenantScope,
    run: RunRef,
    client: StripeAccountClient,
    mappings: ReadonlyMap<string, MeterMappingView>,
    log: Logger,
  ): Promise<Map<string, StripeMeterCheck> | undefined> {
    const references = [...new Set([...mappings.values()].map((mapping) => mapping.eventName))];
    if (references.length === 0) return new Map();
    try {
      return await this.checksFor(scope, run, client, references, log);
    } catch (error) {
      if (error instanceof StripeCallError && error.kind === 'auth') return undefined;
      const reason = `meter check failed: ${error instanceof Error ? error.message : String(error)}`;
      log.warn({ error: reason }, 'stripe meters could not be listed; the rows of every meter fail and are retried');
      this.checked.inc({ result: 'lookup_failed' }, references.length);
      return new Map(references.map((reference): [string, StripeMeterCheck] => [reference, { usable: false, reason }]));
    }
  }

  private async checksFor(
    scope: TenantScope,
    run: RunRef,
    client: StripeAccountClient,
    references: string[],
    log: Logger,
  ): Promise<Map<string, StripeMeterCheck>> {
    const nowMs = this.now();
    for (const [key, entry] of this.cache) if (entry.expiresAtMs <= nowMs) this.cache.delete(key);
    const key = run.runId === null ? undefined : `${scope.tenantId}|${scope.environmentId}|${run.workflowId ?? ''}|${run.runId}`;
    const cached = key === undefined ? undefined : this.cache.get(key);
    if (cached && references.every((reference) => cached.checks.has(reference))) return cached.checks;

    const checks = await checkStripeMeters(client, references);
    for (const check of checks.values()) this.checked.inc({ result: resultOf(check) });
    const unusable = [...checks].filter(([, check]) => !check.usable);
    if (unusable.length > 0) {
      log.warn(
        { meters: Object.fromEntries(unusable.map(([reference, check]) => [reference, check.usable ? '' : check.reason])) },
        'stripe meters unusable: their rows fail without being sent',
      );
    }
    if (key !== undefined) this.cache.set(key, { expiresAtMs: nowMs + this.ttlMs, checks });
    return checks;
  }
}

/**
 * Applies the verdicts to the mappings the push plans with: a usable meter's event_name replaces the reference (a
 * mapping may name the meter by id), an unusable one marks the mapping with the reason. A mapping whose reference was
 * not checked (changed since the check) passes as it is: mapping-service checked it when it was saved.
 */
export function applyMeterChecks(
  mappings: ReadonlyMap<string, MeterMappingView>,
  checks: ReadonlyMap<string, StripeMeterCheck> | undefined,
): CheckedMeters {
  const meters = new Map<string, MeterMappingView>();
  const unusableEventNames = new Map<string, string>();
  for (const [meterId, mapping] of mappings) {
    const check = checks?.get(mapping.eventName);
    if (check === undefined) meters.set(meterId, mapping);
    else if (check.usable) meters.set(meterId, { ...mapping, eventName: check.meter.eventName });
    else {
      meters.set(meterId, { ...mapping, unusable: check.reason });
      unusableEventNames.set(check.meter?.eventName ?? mapping.eventName, check.reason);
    }
  }
  return { meters, unusableEventNames };
}
