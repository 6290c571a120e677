import { Inject, Injectable } from '@nestjs/common';
import type { MeterProviderMapping, TenantScope } from '@flexsync/persistence';
import { MeterMappingStore } from '../meter-mapping.store';

@Injectable()
export class GetMeterMapping {
  constructor(@Inject(MeterMappingStore) private readonly store: MeterMappingStore) {}

  execute(scope: TenantScope, meterId: string): Promise<MeterProviderMapping> {
    return this.store.get(scope, meterId);
  }
}
