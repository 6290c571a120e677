import { Inject, Injectable } from '@nestjs/common';
import {
  CircuitBreakerStore,
  type StripeSyncBatch,
  type SyncBatchFilter,
  type SyncBatchPage,
  SyncBatchStore,
  type SyncStatusCounts,
  type TenantScope,
} from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
/**
 * Read side of the push ledger and breakers, through their stores (`SyncBatchStore`, `CircuitBreakerStore`); every
 * read is scoped to one tenant and environment.
 */
@Injectable()
export class SyncBatchReader {
  constructor(
    @Inject(SyncBatchStore) private readonly batches: SyncBatchStore,
    @Inject(CircuitBreakerStore) private readonly breakers: CircuitBreakerStore,
  ) {}

  countsSince(scope: TenantScope, since: Date): Promise<SyncStatusCounts> {
    return this.batches.countsSince(scope, since);
  }

  openBreakers(scope: TenantScope): Promise<number> {
    return this.breakers.countOpen(scope);
  }

  list(scope: TenantScope, filter: SyncBatchFilter): Promise<SyncBatchPage> {
    return this.batches.page(scope, filter);
  }

  async require(scope: TenantScope, id: string): Promise<StripeSyncBatch> {
    const batch = await this.batches.find(scope, id);
    if (!batch) throw new DomainError('SYNC.NOT_FOUND', 'no sync batch with this id for this tenant and environment');
    return batch;
  }
}
