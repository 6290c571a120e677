import { Inject, Injectable } from '@nestjs/common';
import { MeterMappingStore, type TenantScope } from '@flexsync/persistence';
import { pageOf } from '../../shared/page';
import type { ListMeterMappingsQuery } from '../dto/list-meter-mappings.query';
import { toMeterMappingView, type MeterMappingPageView } from '../dto/meter-mapping.view';

@Injectable()
export class ListMeterMappings {
  constructor(@Inject(MeterMappingStore) private readonly store: MeterMappingStore) {}

  async execute(scope: TenantScope, query: ListMeterMappingsQuery): Promise<MeterMappingPageView> {
    const page = pageOf(query);
    const [rows, total] = await this.store.list(scope, { ...page, syncEnabled: query.sync_enabled });
    return { data: rows.map(toMeterMappingView), total, ...page };
  }
}
