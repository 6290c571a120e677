import { Inject, Injectable, Logger } from '@nestjs/common';
import { MeterMappingStore, type TenantScope } from '@flexsync/persistence';

@Injectable()
export class DeleteMeterMapping {
  private readonly logger = new Logger(DeleteMeterMapping.name);

  constructor(@Inject(MeterMappingStore) private readonly store: MeterMappingStore) {}

  async execute(scope: TenantScope, meterId: string): Promise<void> {
    await this.store.remove(scope, meterId);
    this.logger.log({ tenant_id: scope.tenantId, environment_id: scope.environmentId, meter_id: meterId }, 'meter mapping deleted');
  }
}
