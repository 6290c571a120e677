import { DynamicModule, FactoryProvider, MiddlewareConsumer, Module, NestModule, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyCheck, HEALTH_CHECK_TIMEOUT_MS, HealthController, READINESS_CHECKS } from './health';
import { HttpMetrics, HttpMetricsMiddleware } from './http-metrics';
import { createLoggerModule } from './logging';
import { createMetricsRegistry, MetricsController, MetricsRegistry } from './metrics';

export interface ObservabilityOptions {
  service: string;
  logLevel: string;
  healthCheckTimeoutMs: number;
}

/** The settings every service's validated config carries. */
export interface ObservabilitySettings {
  LOG_LEVEL: string;
  HEALTH_CHECK_TIMEOUT_MS: number;
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
        { provide: MetricsRegistry, useValue: createMetricsRegistry(options.service) },
        { provide: HEALTH_CHECK_TIMEOUT_MS, useValue: options.healthCheckTimeoutMs },
        HttpMetrics,
      ],
      exports: [MetricsRegistry, HEALTH_CHECK_TIMEOUT_MS, TerminusModule, HttpMetrics],
    };
  }

  /** `forRoot` from a service's validated config. */
  static forService(service: string, config: ObservabilitySettings): DynamicModule {
    return ObservabilityModule.forRoot({ service, logLevel: config.LOG_LEVEL, healthCheckTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS });
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
