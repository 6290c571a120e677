import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthModule, authOptionsFrom } from '@flexsync/auth';
import { KAFKA_READINESS_CHECK, KafkaModule, type KafkaCheck } from '@flexsync/kafka';
import { degradedWhenDown, HealthController, ObservabilityModule, readinessChecksProvider } from '@flexsync/observability';
import { CustomerMappingStore, MeterMappingStore, PersistenceModule, postgresCheck } from '@flexsync/persistence';
import { CustomerMappingMetrics } from './customer-mappings/customer-mapping.metrics';
import { CustomerMappingsController } from './customer-mappings/customer-mappings.controller';
import { ApplyStripeCustomerEvent } from './customer-mappings/stripe-customer-events/apply-stripe-customer-event';
import { CustomerEventsConsumer } from './customer-mappings/stripe-customer-events/customer-events.consumer';
import { DeadLetterDepthMetrics } from './customer-mappings/stripe-customer-events/dead-letter-depth.metrics';
import { CreateCustomerMapping } from './customer-mappings/use-cases/create-customer-mapping';
import { DeleteCustomerMapping } from './customer-mappings/use-cases/delete-customer-mapping';
import { GetCustomerMapping } from './customer-mappings/use-cases/get-customer-mapping';
import { ListCustomerMappings } from './customer-mappings/use-cases/list-customer-mappings';
import { MappingServiceConfig } from './mapping-service.config';
import { MeterMappingsController } from './meter-mappings/meter-mappings.controller';
import { StripeMeterVerifier } from './meter-mappings/stripe-meter-verifier';
import { CreateMeterMapping } from './meter-mappings/use-cases/create-meter-mapping';
import { DeleteMeterMapping } from './meter-mappings/use-cases/delete-meter-mapping';
import { GetMeterMapping } from './meter-mappings/use-cases/get-meter-mapping';
import { ListMeterMappings } from './meter-mappings/use-cases/list-meter-mappings';
import { UpdateMeterMapping } from './meter-mappings/use-cases/update-meter-mapping';

@Module({})
export class MappingServiceModule {
  static register(config: MappingServiceConfig): DynamicModule {
    return {
      module: MappingServiceModule,
      imports: [
        PersistenceModule.forRoot(config.DATABASE_URL),
        KafkaModule.forService(config),
        ObservabilityModule.forService('mapping-service', config),
        AuthModule.forRoot(authOptionsFrom(config)),
      ],
      controllers: [HealthController, MeterMappingsController, CustomerMappingsController],
      providers: [
        { provide: MappingServiceConfig, useValue: config },
        readinessChecksProvider({
          inject: [getDataSourceToken(), KAFKA_READINESS_CHECK],
          // Kafka down only degrades: the inbox/outbox (webhook-ingest) and the consumer's reconnects (mapping-service) cover it.
          useFactory: (dataSource: DataSource, kafka: KafkaCheck) => [postgresCheck(dataSource), degradedWhenDown(kafka)],
        }),
        { provide: MeterMappingStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new MeterMappingStore(dataSource) },
        StripeMeterVerifier,
        CreateMeterMapping,
        ListMeterMappings,
        GetMeterMapping,
        UpdateMeterMapping,
        DeleteMeterMapping,
        { provide: CustomerMappingStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new CustomerMappingStore(dataSource) },
        CustomerMappingMetrics,
        ListCustomerMappings,
        GetCustomerMapping,
        CreateCustomerMapping,
        DeleteCustomerMapping,
        ApplyStripeCustomerEvent,
        CustomerEventsConsumer,
        DeadLetterDepthMetrics,
      ],
    };
  }
}
