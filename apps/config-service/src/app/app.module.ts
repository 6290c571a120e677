import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ObservabilityModule } from '@flexsync/observability';
import { PersistenceModule, postgresCheck } from '@flexsync/persistence';
import { ConfigServiceConfig } from './config-service.config';

@Module({})
export class ConfigServiceModule {
  static register(config: ConfigServiceConfig): DynamicModule {
    return {
      module: ConfigServiceModule,
      imports: [
        PersistenceModule.forRoot(config.DATABASE_URL),
        ObservabilityModule.forRoot({
          service: 'config-service',
          logLevel: config.LOG_LEVEL,
          healthCheckTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
          readinessChecks: { inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => [postgresCheck(dataSource)] },
        }),
      ],
      providers: [{ provide: ConfigServiceConfig, useValue: config }],
    };
  }
}
