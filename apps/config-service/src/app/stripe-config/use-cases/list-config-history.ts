import { Injectable } from '@nestjs/common';
import { TenantPrincipal } from '@flexsync/auth';
import { HistoryQueryDto } from '../dto/history-query.dto';
import { HistoryView, toHistoryEntryView } from '../dto/history.view';
import { StripeConfigStore } from '@flexsync/persistence';

const DEFAULT_PAGE_SIZE = 50;

/** `GET /v1/stripe/config/history`: the caller's audit trail, newest first. */
@Injectable()
export class ListConfigHistory {
  constructor(private readonly store: StripeConfigStore) {}

  async execute(principal: TenantPrincipal, query: HistoryQueryDto): Promise<HistoryView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const entries = await this.store.history({ tenantId: principal.tenantId, environmentId: principal.environmentId }, limit, query.before);
    const views = entries.map(toHistoryEntryView);
    return { entries: views, next_before: views.length === limit ? views[views.length - 1].id : null };
  }
}
