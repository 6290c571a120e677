import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { StripeCircuitBreaker, StripeSyncBatch, SyncStatus, TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';

export interface BatchFilter {
  status?: SyncStatus;
  windowStart?: Date;
  customerId?: string;
  limit: number;
  /** Keyset cursor: rows strictly older than (createdAt, id). */
  after?: { createdAt: Date; id: string };
}

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
    const counts: Record<SyncStatus, number> = { pending: 0, completed: 0, failed: 0, unknown: 0 };
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

  async list(scope: TenantScope, filter: BatchFilter): Promise<StripeSyncBatch[]> {
    const query = this.batches
      .createQueryBuilder('b')
      .where('b.tenant_id = :tenantId AND b.environment_id = :environmentId', scope)
      .orderBy('b.created_at', 'DESC')
      .addOrderBy('b.id', 'DESC')
      .limit(filter.limit);
    if (filter.status) query.andWhere('b.sync_status = :status', { status: filter.status });
    if (filter.windowStart) query.andWhere('b.window_start = :windowStart', { windowStart: filter.windowStart });
    if (filter.customerId) query.andWhere('b.customer_id = :customerId', { customerId: filter.customerId });
    if (filter.after) query.andWhere('(b.created_at, b.id) < (:createdAt, :id)', filter.after);
    return query.getMany();
  }

  async require(scope: TenantScope, id: string): Promise<StripeSyncBatch> {
    const batch = await this.batches.findOne({ where: { id, tenantId: scope.tenantId, environmentId: scope.environmentId } });
    if (!batch) throw new DomainError('SYNC.NOT_FOUND', 'no sync batch with this id for this tenant and environment');
    return batch;
  }
}
