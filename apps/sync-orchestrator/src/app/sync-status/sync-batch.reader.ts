import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { StripeCircuitBreaker, StripeSyncBatch, SyncStatus, TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import type { BatchCursor } from './batch-cursor';

export interface BatchFilter {
  status?: SyncStatus;
  windowStart?: Date;
  customerId?: string;
  limit: number;
  /** Keyset cursor: rows strictly older than (createdAt, id). */
  after?: BatchCursor;
}

export interface BatchPage {
  rows: StripeSyncBatch[];
  /** Where the next page starts; absent on the last page. */
  next?: BatchCursor;
}

/** `created_at` at full precision, in UTC, independent of the session's TimeZone. */
const CREATED_AT_KEY = `to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface BatchCounts {
  counts: Record<SyncStatus, number>;
  averageLatencyMs: number | null;
}

/** Read side of the push ledger and breakers; every query is scoped to one tenant and environment. */
@Injectable()
export class SyncBatchReader {
  constructor(
    @InjectRepository(StripeSyncBatch) private readonly batches: Repository<StripeSyncBatch>,
    @InjectRepository(StripeCircuitBreaker) private readonly breakers: Repository<StripeCircuitBreaker>,
  ) {}

  async countsSince(scope: TenantScope, since: Date): Promise<BatchCounts> {
    const rows: { sync_status: SyncStatus; n: string; avg_latency: string | null }[] = await this.batches.query(
      `SELECT sync_status, count(*) AS n, avg(latency_ms) FILTER (WHERE sync_status = 'completed') AS avg_latency
         FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND updated_at >= $3
        GROUP BY sync_status`,
      [scope.tenantId, scope.environmentId, since],
    );
    const counts: Record<SyncStatus, number> = { pending: 0, completed: 0, failed: 0, unknown: 0, validating: 0 };
    let averageLatencyMs: number | null = null;
    for (const row of rows) {
      counts[row.sync_status] = Number(row.n);
      if (row.sync_status === 'completed' && row.avg_latency !== null) averageLatencyMs = Math.round(Number(row.avg_latency));
    }
    return { counts, averageLatencyMs };
  }

  openBreakers(scope: TenantScope): Promise<number> {
    return this.breakers.count({ where: { tenantId: scope.tenantId, environmentId: scope.environmentId, state: 'open' } });
  }

  async list(scope: TenantScope, filter: BatchFilter): Promise<BatchPage> {
    const query = this.batches
      .createQueryBuilder('b')
      .addSelect(CREATED_AT_KEY, 'cursor_created_at')
      .where('b.tenant_id = :tenantId AND b.environment_id = :environmentId', scope)
      .orderBy('b.created_at', 'DESC')
      .addOrderBy('b.id', 'DESC')
      // One row more than asked tells whether another page exists.
      .limit(filter.limit + 1);
    if (filter.status) query.andWhere('b.sync_status = :status', { status: filter.status });
    if (filter.windowStart) query.andWhere('b.window_start = :windowStart', { windowStart: filter.windowStart });
    if (filter.customerId) query.andWhere('b.customer_id = :customerId', { customerId: filter.customerId });
    if (filter.after) {
      query.andWhere('(b.created_at, b.id) < (CAST(:createdAt AS timestamptz), CAST(:id AS uuid))', filter.after);
    }
    const { entities, raw } = await query.getRawAndEntities<{ cursor_created_at: string; b_id: string }>();
    if (entities.length <= filter.limit) return { rows: entities };
    const rows = entities.slice(0, filter.limit);
    const last = raw[filter.limit - 1];
    return { rows, next: { createdAt: last.cursor_created_at, id: last.b_id } };
  }

  async require(scope: TenantScope, id: string): Promise<StripeSyncBatch> {
    const batch = await this.batches.findOne({ where: { id, tenantId: scope.tenantId, environmentId: scope.environmentId } });
    if (!batch) throw new DomainError('SYNC.NOT_FOUND', 'no sync batch with this id for this tenant and environment');
    return batch;
  }
}
