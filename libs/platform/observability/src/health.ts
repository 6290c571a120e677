import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Gauge } from 'prom-client';
import { withTimeout } from '@flexsync/runtime';
import { MetricsRegistry } from './metrics';

/** A real probe of one dependency; it must throw when the dependency cannot serve. */
export interface DependencyCheck {
  name: string;
  probe: () => Promise<unknown>;
  /**
   * The service keeps serving without this dependency (e.g. Kafka behind an inbox/outbox): when it is down the
   * service stays ready and reports it under `degraded` instead of dropping out of the load balancer.
   */
  degradesOnly?: boolean;
}

/** A check whose failure degrades the service instead of making it unready. */
export function degradedWhenDown(check: DependencyCheck): DependencyCheck {
  return { name: check.name, probe: () => check.probe(), degradesOnly: true };
}

/** `/health/ready`: Terminus' answer, plus the optional dependencies that are down. */
export type ReadinessResult = Omit<HealthCheckResult, 'status'> & {
  status: HealthCheckResult['status'] | 'degraded';
  degraded?: Record<string, { status: 'degraded'; message: string }>;
};

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export const HEALTH_CHECK_TIMEOUT_MS = Symbol('HEALTH_CHECK_TIMEOUT_MS');

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `/health/live`: the process answers. `/health/ready`: every required dependency answered within the timeout
 * (else 503); optional ones that did not are listed under `degraded` (still 200). Each probe sets
 * `health_dependency_up{dependency}` (1 or 0), so an alert sees a degraded dependency that readiness hides.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly dependencyUp: Gauge<'dependency'>;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: DependencyCheck[],
    @Inject(HEALTH_CHECK_TIMEOUT_MS) private readonly timeoutMs: number,
    @Inject(MetricsRegistry) registry: MetricsRegistry,
  ) {
    this.dependencyUp = dependencyUpGauge(registry);
  }

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  async ready(): Promise<ReadinessResult> {
    const optional = this.checks.filter((check) => check.degradesOnly);
    const [result, problems] = await Promise.all([
      this.health.check(this.checks.filter((check) => !check.degradesOnly).map((check) => () => this.run(check))),
      Promise.all(optional.map(async (check) => [check.name, await this.probe(check)] as const)),
    ]);
    const degraded = Object.fromEntries(
      problems
        .filter(([, problem]) => problem !== undefined)
        .map(([name, problem]) => [name, { status: 'degraded' as const, message: problem as string }]),
    );
    const up = Object.fromEntries(
      problems.filter(([, problem]) => problem === undefined).map(([name]) => [name, { status: 'up' as const }]),
    );
    const info = { ...result.info, ...up };
    if (Object.keys(degraded).length === 0) return { ...result, info, details: { ...result.details, ...up } };
    return { ...result, status: 'degraded', info, details: { ...result.details, ...up }, degraded };
  }

  private async run(check: DependencyCheck): Promise<HealthIndicatorResult> {
    const problem = await this.probe(check);
    const indicator = this.indicators.check(check.name);
    return problem === undefined ? indicator.up() : indicator.down({ message: problem });
  }

  /** Undefined when the dependency answered, else why not. */
  private async probe(check: DependencyCheck): Promise<string | undefined> {
    try {
      await withTimeout(check.probe(), this.timeoutMs, check.name);
      this.dependencyUp.set({ dependency: check.name }, 1);
      return undefined;
    } catch (error) {
      this.dependencyUp.set({ dependency: check.name }, 0);
      return describe(error);
    }
  }
}

function dependencyUpGauge(registry: MetricsRegistry): Gauge<'dependency'> {
  const existing = registry.getSingleMetric('health_dependency_up');
  if (existing) return existing as Gauge<'dependency'>;
  return new Gauge({
    name: 'health_dependency_up',
    help: 'Whether the dependency answered the last readiness probe (1) or not (0); optional ones only degrade the service.',
    labelNames: ['dependency'],
    registers: [registry],
  });
}
