import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretBox } from '@flexsync/crypto';
import { StripeConnectionProbe, StripeEndpoint } from '../stripe-connection/stripe-connection-probe';
import { StripeConfigController } from './stripe-config.controller';
import { StripeConfigMetrics } from './stripe-config.metrics';
import { DeleteStripeConfig } from './use-cases/delete-stripe-config';
import { GetStripeConfig } from './use-cases/get-stripe-config';
import { ListConfigHistory } from './use-cases/list-config-history';
import { SaveStripeConfig } from './use-cases/save-stripe-config';
import { TestStripeConnection } from './use-cases/test-stripe-connection';
import { StripeConfigStore } from '@flexsync/persistence';

export interface StripeConfigModuleOptions {
  secretBox: SecretBox;
  stripe: StripeEndpoint;
}

/** `/v1/stripe/config*`: the tenant-admin API over `stripe_tenant_configs` and `stripe_config_audit`. */
@Module({})
export class StripeConfigModule {
  static register(options: StripeConfigModuleOptions): DynamicModule {
    return {
      module: StripeConfigModule,
      controllers: [StripeConfigController],
      providers: [
        { provide: SecretBox, useValue: options.secretBox },
        { provide: StripeConnectionProbe, useValue: new StripeConnectionProbe(options.stripe) },
        { provide: StripeConfigStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new StripeConfigStore(dataSource) },
        StripeConfigMetrics,
        SaveStripeConfig,
        GetStripeConfig,
        DeleteStripeConfig,
        TestStripeConnection,
        ListConfigHistory,
      ],
    };
  }
}
