import { Inject, Injectable } from '@nestjs/common';
import { MeterMappingStore, type MeterProviderMapping, type TenantScope } from '@flexsync/persistence';

@Injectable()
export class GetMeterMapping {
  constructor(@Inject(MeterMappingStore) private readonly store: MeterMappingStore) {}

  execute(scope: TenantScope, meterId: string): Promise<MeterProviderMapping> {
    return this.store.get(scope, meterId);
  }
}
