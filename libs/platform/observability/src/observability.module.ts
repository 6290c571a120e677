import { DynamicModule, FactoryProvider, MiddlewareConsumer, Module, NestModule, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyCheck, HEALTH_CHECK_TIMEOUT_MS, HealthController, READINESS_CHECKS } from './health';
import { HttpMetricsMiddleware } from './http-metrics';
import { createLoggerModule } from './logging';
import { createMetricsRegistry, MetricsController, MetricsRegistry, SERVICE_NAME } from './metrics';

export interface ObservabilityOptions {
  service: string;
  logLevel: string;
  healthCheckTimeoutMs: number;
}

/**
 * JSON logs and `/metrics` for one service (global). `/health/*` lives in the app's own module, because its
 * readiness probes need the app's clients: add `HealthController` to the app's controllers and
 * `readinessChecksProvider({ inject, useFactory })` to its providers.
 */
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [createLoggerModule(options.service, options.logLevel), TerminusModule.forRoot({ logger: false })],
      controllers: [MetricsController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        { provide: MetricsRegistry, useValue: createMetricsRegistry(options.service) },
        { provide: HEALTH_CHECK_TIMEOUT_MS, useValue: options.healthCheckTimeoutMs },
      ],
      exports: [MetricsRegistry, SERVICE_NAME, HEALTH_CHECK_TIMEOUT_MS, TerminusModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}

/** The app's `/health/ready` probes, built from its own clients. */
export function readinessChecksProvider(factory: Omit<FactoryProvider<DependencyCheck[]>, 'provide'>): Provider {
  return { ...factory, provide: READINESS_CHECKS };
}

export { HealthController };
