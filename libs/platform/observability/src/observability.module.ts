import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HEALTH_CHECK_TIMEOUT_MS, HealthController, READINESS_CHECKS } from './health';
import { createLoggerModule } from './logging';
import { createMetricsRegistry, MetricsController, MetricsRegistry, SERVICE_NAME } from './metrics';

export interface ObservabilityOptions {
  service: string;
  logLevel: string;
  healthCheckTimeoutMs: number;
  /** Provider of `DependencyCheck[]` for `/health/ready`, built from the app's own clients. */
  readinessChecks: Omit<Extract<Provider, { useFactory: unknown }>, 'provide'>;
}

/** Logs, `/metrics` and `/health/*` for one service. */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [createLoggerModule(options.service, options.logLevel), TerminusModule.forRoot({ logger: false })],
      controllers: [MetricsController, HealthController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        { provide: MetricsRegistry, useValue: createMetricsRegistry(options.service) },
        { provide: HEALTH_CHECK_TIMEOUT_MS, useValue: options.healthCheckTimeoutMs },
        { ...options.readinessChecks, provide: READINESS_CHECKS },
      ],
      exports: [MetricsRegistry, SERVICE_NAME],
    };
  }
}
