import type { Logger } from 'pino';
import { StripeConfigStore, type TenantScope } from '@flexsync/persistence';
import { decimalToScaled, scaledToDecimal } from '../decimal';
import type { LedgerWindow, StripeTarget } from '../ledger/ledger-rows';
import type { MappingReader } from '../ledger/mappings';
import type { StripeAccountDirectory } from '../push/stripe-accounts';
import type { WindowUsageReader } from '../usage-source/usage-source';
import { type DeliveryFilter, LedgerDeliveries } from './ledger-deliveries';
import {
  judgeCell,
  type LedgerDelivery,
  pendingReason,
  type MeasuredUsage,
  RECONCILIATION_STATUSES,
  type ReconciliationCell,
  type ReconciliationStatus,
  settleUnknown,
} from './reconciliation-cells';
import type { ReconciliationMetrics } from './reconciliation-metrics';
import { StripeMeterTotals, targetKey, windowKey } from './stripe-meter-totals';

export interface ReconciliationRequest extends TenantScope, DeliveryFilter {
  timeFrom: Date;
  timeTo: Date;
}

export interface ReconciliationSettings {
  /** `RECONCILIATION_INGESTION_LAG_SECONDS`: how long Stripe's summaries may trail an accepted push. */
  ingestionLagSeconds: number;
  /** Stripe's identifier dedupe (`STRIPE_IDENTIFIER_DEDUPE_HOURS`): only rows past it are re-armed. */
  dedupeWindowHours: number;
  now?: () => number;
}

export interface ReidentifiedPush {
  id: string;
  previous: string;
  identifier: string;
}

export interface ReconciliationReport extends TenantScope {
  timeFrom: string;
  timeTo: string;
  cells: ReconciliationCell[];
  totals: Record<ReconciliationStatus, number>;
  /** Σ |difference| over drift cells, in Stripe units. */
  driftUnits: string;
  /** Unknown rows settled now: counted by Stripe (completed) and missing (re-armed under a new identifier). */
  settled: { completed: number; reidentified: ReidentifiedPush[] };
  /** Windows holding re-armed rows: a sync over them sends those rows. */
  windowsToResend: { start: string; end: string }[];
  /** Ledger rows of the range still `unknown` after settling. */
  unknownOutcomes: number;
}

export class ReconciliationUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`reconciliation unavailable: ${reason}`);
    this.name = 'ReconciliationUnavailableError';
  }
}

interface CellGroup {
  customerId: string;
  meterId: string;
  window: LedgerWindow;
  measured: MeasuredUsage[];
  rows: LedgerDelivery[];
  targets: Map<string, StripeTarget>;
}

const MINUTE_MS = 60_000;

/** Aligned windows of `minutes` covering `[from, to)`, widened outwards to whole windows. */
export function windowsCovering(from: Date, to: Date, minutes: number): LedgerWindow[] {
  if (!Number.isFinite(from.getTime()) || !Number.isFinite(to.getTime()) || from >= to) {
    throw new RangeError('a reconciliation range needs valid dates with time_from before time_to');
  }
  if (!Number.isInteger(minutes) || minutes <= 0) throw new RangeError('window minutes must be a whole number above 0');
  const size = minutes * MINUTE_MS;
  const windows: LedgerWindow[] = [];
  for (let start = Math.floor(from.getTime() / size) * size; start < to.getTime(); start += size) {
    windows.push({ start: new Date(start), end: new Date(start + size) });
  }
  return windows;
}

/**
 * Reconciliation (design rule 15): for a tenant+environment and a range, per customer × meter × window, compares
 * ClickHouse's total (the pipeline's own aggregate query), what the ledger says was delivered, and what Stripe's
 * meter event summaries count. First it settles `unknown` rows from Stripe's totals (rule 11): counted → completed;
 * missing → re-armed once under a new identifier. Drift the ledger cannot explain is reported, never "fixed".
 */
export class ReconciliationService {
  private readonly deliveries: LedgerDeliveries;
  private readonly configs: StripeConfigStore;

  constructor(
    db: ConstructorParameters<typeof LedgerDeliveries>[0],
    private readonly usage: WindowUsageReader,
    private readonly mappings: MappingReader,
    private readonly accounts: StripeAccountDirectory,
    private readonly settings: ReconciliationSettings,
    private readonly logger: Logger,
    private readonly metrics?: ReconciliationMetrics,
  ) {
    this.deliveries = new LedgerDeliveries(db);
    this.configs = new StripeConfigStore(db);
  }

  /** `log`: the caller's logger (an activity's, naming its workflow); by default one naming tenant and environment. */
  async reconcile(request: ReconciliationRequest, log?: Logger): Promise<ReconciliationReport> {
    const scope = { tenantId: request.tenantId, environmentId: request.environmentId };
    log ??= this.logger.child({ tenant_id: scope.tenantId, environment_id: scope.environmentId, activity: 'Reconciliation' });
    const nowMs = (this.settings.now ?? Date.now)();
    const lagMs = this.settings.ingestionLagSeconds * 1000;
    const account = await this.accounts.account(scope);
    if (!account.ready) throw new ReconciliationUnavailableError(account.reason);
    const windowMinutes = await this.windowMinutes(scope);
    const windows = windowsCovering(request.timeFrom, request.timeTo, windowMinutes);
    const range: LedgerWindow = {
      start: windows[0]?.start ?? request.timeFrom,
      end: windows[windows.length - 1]?.end ?? request.timeTo,
    };
    const filter: DeliveryFilter = {
      ...(request.customerId === undefined ? {} : { customerId: request.customerId }),
      ...(request.meterId === undefined ? {} : { meterId: request.meterId }),
    };

    let rows = await this.deliveries.read(scope, range, filter);
    const allWindows = new Map(windows.map((window) => [windowKey(window), window]));
    for (const row of rows) {
      const window = { start: row.windowStart, end: row.windowEnd };
      allWindows.set(windowKey(window), window);
    }
    const measured = await this.measure(scope, [...allWindows.values()], filter);
    const meters = await this.mappings.meterMappings(scope);
    const customers = await this.mappings.stripeCustomers(scope, [...new Set(measured.map((entry) => entry.usage.customerId))]);
    const currentTarget = (customerId: string, meterId: string): StripeTarget | undefined => {
      const eventName = meters.get(meterId)?.eventName;
      const stripeCustomerId = customers.get(customerId);
      return eventName === undefined || stripeCustomerId === undefined ? undefined : { eventName, stripeCustomerId };
    };

    // Stripe's count per target and window that a cell needs (see below), read per target over the range.
    const targetWindows = new Map<string, { target: StripeTarget; windows: Map<string, LedgerWindow> }>();
    const addTarget = (target: StripeTarget, window: LedgerWindow): void => {
      const entry = targetWindows.get(targetKey(target)) ?? { target, windows: new Map<string, LedgerWindow>() };
      entry.windows.set(windowKey(window), window);
      targetWindows.set(targetKey(target), entry);
    };
    // Only slots a judgeable cell uses, or holding unknown rows to settle: a cell still waiting for a push or for
    // Stripe's ingestion is pending whatever Stripe says, so reading its totals would only cost calls.
    for (const entry of this.groupCells(rows, measured, currentTarget)) {
      const awaiting = pendingReason({ ...entry, precision: 0, stripeValue: 0n, nowMs, ingestionLagMs: lagMs }) !== null;
      const unknown = entry.rows.filter((row) => row.status === 'unknown' && row.target !== null);
      if (!awaiting) for (const target of entry.targets.values()) addTarget(target, entry.window);
      for (const row of unknown) if (row.target !== null) addTarget(row.target, entry.window);
    }
    const stripeTotals = new StripeMeterTotals(account.client);
    const stripe = new Map<string, bigint>();
    for (const { target, windows: targetWindowList } of targetWindows.values()) {
      const totals = await stripeTotals.read(target, [...targetWindowList.values()]);
      for (const [key, value] of totals) stripe.set(`${targetKey(target)}\u0000${key}`, value);
    }

    const settled = await this.settleUnknownRows(scope, rows, stripe, nowMs, lagMs);
    if (settled.completed > 0 || settled.reidentified.length > 0) {
      log.info(
        { completed: settled.completed, reidentified: settled.reidentified.map((push) => push.identifier) },
        'unknown outcomes settled against Stripe totals',
      );
      rows = await this.deliveries.read(scope, range, filter);
    }

    const groups = this.groupCells(rows, measured, currentTarget);
    const cells = this.judge(groups, stripe, meters, nowMs, lagMs);
    const totals = Object.fromEntries(RECONCILIATION_STATUSES.map((status) => [status, 0])) as Record<ReconciliationStatus, number>;
    let driftScaled = 0n;
    for (const cell of cells) {
      totals[cell.status] += 1;
      if (cell.status === 'drift' && cell.difference !== null) {
        const difference = decimalToScaled(cell.difference);
        driftScaled += difference < 0n ? -difference : difference;
      }
    }
    const driftUnits = scaledToDecimal(driftScaled);
    const unknownLeft = rows.filter((row) => row.status === 'unknown').length;
    for (const status of RECONCILIATION_STATUSES) this.metrics?.cells.inc({ status }, totals[status]);
    this.metrics?.unknownSettled.inc({ outcome: 'counted' }, settled.completed);
    this.metrics?.unknownSettled.inc({ outcome: 'reidentified' }, settled.reidentified.length);
    log.info({ range: { from: range.start, to: range.end }, totals, drift_units: driftUnits, unknown: unknownLeft }, 'reconciled');
    const resend = new Map<string, { start: string; end: string }>();
    for (const push of settled.reidentified) {
      const row = rows.find((candidate) => candidate.id === push.id);
      if (row !== undefined) {
        resend.set(windowKey({ start: row.windowStart, end: row.windowEnd }), {
          start: row.windowStart.toISOString(),
          end: row.windowEnd.toISOString(),
        });
      }
    }
    return {
      ...scope,
      timeFrom: range.start.toISOString(),
      timeTo: range.end.toISOString(),
      cells,
      totals,
      driftUnits,
      settled,
      windowsToResend: [...resend.values()],
      unknownOutcomes: unknownLeft,
    };
  }

  private async windowMinutes(scope: TenantScope): Promise<number> {
    return (await this.configs.syncSettings(scope))?.windowMinutes ?? 60;
  }

  /** ClickHouse's totals per window, through the pipeline's own aggregate query. */
  private async measure(
    scope: TenantScope,
    windows: LedgerWindow[],
    filter: DeliveryFilter,
  ): Promise<{ window: LedgerWindow; usage: MeasuredUsage }[]> {
    const measured: { window: LedgerWindow; usage: MeasuredUsage }[] = [];
    for (const window of windows) {
      for await (const aggregate of this.usage.aggregateWindow({
        ...scope,
        windowStart: window.start,
        windowEnd: window.end,
        ...(filter.customerId === undefined ? {} : { customerId: filter.customerId }),
      })) {
        if (filter.meterId !== undefined && aggregate.meterId !== filter.meterId) continue;
        measured.push({
          window,
          usage: {
            customerId: aggregate.customerId,
            meterId: aggregate.meterId,
            eventType: aggregate.eventType,
            quantity: aggregate.quantity,
          },
        });
      }
    }
    return measured;
  }

  /**
   * Per target and window: if Stripe holds what the ledger completed plus every unknown row, they were counted;
   * if it holds exactly what was completed, they are missing and (past the dedupe) re-armed once. Not while a push
   * to the target is pending or was sent within the ingestion lag, as Stripe's count may still grow.
   */
  private async settleUnknownRows(
    scope: TenantScope,
    rows: LedgerDelivery[],
    stripe: Map<string, bigint>,
    nowMs: number,
    lagMs: number,
  ): Promise<{ completed: number; reidentified: ReidentifiedPush[] }> {
    const byTargetWindow = new Map<string, LedgerDelivery[]>();
    for (const row of rows) {
      if (row.target === null || row.sentValue === null) continue;
      const key = `${targetKey(row.target)}\u0000${windowKey({ start: row.windowStart, end: row.windowEnd })}`;
      byTargetWindow.set(key, [...(byTargetWindow.get(key) ?? []), row]);
    }
    const counted: string[] = [];
    const missing: string[] = [];
    const horizonMs = this.settings.dedupeWindowHours * 3_600_000;
    for (const [key, group] of byTargetWindow) {
      const unknown = group.filter((row) => row.status === 'unknown');
      const stripeCount = stripe.get(key);
      if (unknown.length === 0 || stripeCount === undefined) continue;
      const busy = group.some(
        (row) => row.status === 'pending' || (row.lastSentAtMs !== null && nowMs - row.lastSentAtMs < lagMs && row.status !== 'unknown'),
      );
      if (busy) continue;
      const completed = group.filter((row) => row.status === 'completed').reduce((sum, row) => sum + (row.sentValue ?? 0n), 0n);
      const outcome = settleUnknown(
        stripeCount,
        completed,
        unknown.map((row) => row.sentValue ?? 0n),
      );
      if (outcome === 'counted') counted.push(...unknown.map((row) => row.id));
      if (outcome === 'missing') {
        missing.push(
          ...unknown
            .filter((row) => !row.reidentified && row.lastSentAtMs !== null && nowMs - row.lastSentAtMs >= horizonMs)
            .map((row) => row.id),
        );
      }
    }
    const completed = await this.deliveries.markCounted(scope, counted);
    const reidentified = await this.deliveries.reidentify(scope, missing);
    return { completed, reidentified };
  }

  private groupCells(
    rows: LedgerDelivery[],
    measured: { window: LedgerWindow; usage: MeasuredUsage }[],
    currentTarget: (customerId: string, meterId: string) => StripeTarget | undefined,
  ): CellGroup[] {
    const groups = new Map<string, CellGroup>();
    const group = (customerId: string, meterId: string, window: LedgerWindow): CellGroup => {
      const key = `${customerId}\u0000${meterId}\u0000${windowKey(window)}`;
      let entry = groups.get(key);
      if (entry === undefined) {
        entry = { customerId, meterId, window, measured: [], rows: [], targets: new Map() };
        groups.set(key, entry);
      }
      return entry;
    };
    for (const row of rows) {
      const entry = group(row.customerId, row.meterId, { start: row.windowStart, end: row.windowEnd });
      entry.rows.push(row);
      if (row.target !== null) entry.targets.set(targetKey(row.target), row.target);
    }
    for (const { window, usage } of measured) {
      const entry = group(usage.customerId, usage.meterId, window);
      entry.measured.push(usage);
      const target = currentTarget(usage.customerId, usage.meterId);
      if (target !== undefined) entry.targets.set(targetKey(target), target);
    }
    return [...groups.values()].sort(
      (a, b) =>
        a.window.start.getTime() - b.window.start.getTime() || compareText(a.customerId, b.customerId) || compareText(a.meterId, b.meterId),
    );
  }

  /**
   * A target's count is split over the cells that sent to it by what each delivered; whatever the ledger cannot
   * explain (Stripe − Σ delivered) goes to the first cell of that target, so it is reported exactly once.
   */
  private judge(
    groups: CellGroup[],
    stripe: Map<string, bigint>,
    meters: Map<string, { precision: number }>,
    nowMs: number,
    lagMs: number,
  ): ReconciliationCell[] {
    const deliveredTo = new Map<string, bigint>();
    const owner = new Map<string, CellGroup>();
    for (const entry of groups) {
      for (const key of entry.targets.keys()) {
        const slot = `${key}\u0000${windowKey(entry.window)}`;
        if (!owner.has(slot)) owner.set(slot, entry);
        const delivered = entry.rows
          .filter((row) => row.status === 'completed' && row.target !== null && targetKey(row.target) === key)
          .reduce((sum, row) => sum + (row.sentValue ?? 0n), 0n);
        deliveredTo.set(slot, (deliveredTo.get(slot) ?? 0n) + delivered);
      }
    }
    return groups.map((entry) => {
      let stripeValue: bigint | null = 0n;
      for (const key of entry.targets.keys()) {
        const slot = `${key}\u0000${windowKey(entry.window)}`;
        const count = stripe.get(slot);
        if (count === undefined) {
          stripeValue = null;
          break;
        }
        const mine = entry.rows
          .filter((row) => row.status === 'completed' && row.target !== null && targetKey(row.target) === key)
          .reduce((sum, row) => sum + (row.sentValue ?? 0n), 0n);
        stripeValue += mine + (owner.get(slot) === entry ? count - (deliveredTo.get(slot) ?? 0n) : 0n);
      }
      return judgeCell({
        customerId: entry.customerId,
        meterId: entry.meterId,
        window: entry.window,
        measured: entry.measured,
        rows: entry.rows,
        precision: meters.get(entry.meterId)?.precision ?? null,
        stripeValue,
        nowMs,
        ingestionLagMs: lagMs,
      });
    });
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
