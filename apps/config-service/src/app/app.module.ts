import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthModule, authOptionsFrom } from '@flexsync/auth';
import { secretBoxFrom } from '@flexsync/crypto';
import { HealthController, ObservabilityModule, readinessChecksProvider } from '@flexsync/observability';
import { PersistenceModule, postgresCheck } from '@flexsync/persistence';
import { ConfigServiceConfig } from './config-service.config';
import { StripeConfigModule } from './stripe-config/stripe-config.module';

@Module({})
export class ConfigServiceModule {
  static register(config: ConfigServiceConfig): DynamicModule {
    return {
      module: ConfigServiceModule,
      imports: [
        PersistenceModule.forRoot(config.DATABASE_URL),
        ObservabilityModule.forService('config-service', config),
        AuthModule.forRoot(authOptionsFrom(config)),
        StripeConfigModule.register({
          // Throws on an unusable keyring: the service never runs without encryption.
          secretBox: secretBoxFrom(config),
          stripe: { baseUrl: config.STRIPE_API_BASE_URL || undefined, timeoutMs: config.STRIPE_TIMEOUT_MS },
        }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: ConfigServiceConfig, useValue: config },
        readinessChecksProvider({ inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => [postgresCheck(dataSource)] }),
      ],
    };
  }
}
