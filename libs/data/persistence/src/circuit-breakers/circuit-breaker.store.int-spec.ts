import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { CircuitBreakerStore, circuitNotClosedOf } from './circuit-breaker.store';

describe('CircuitBreakerStore (real Postgres)', () => {
  let dataSource: DataSource;
  let store: CircuitBreakerStore;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
    store = new CircuitBreakerStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const notClosed = async (scope: { tenantId: string; environmentId: string }): Promise<boolean> => {
    const [row]: { holds: boolean }[] = await dataSource.query(
      `SELECT ${circuitNotClosedOf('b')} AS holds FROM (SELECT $1::text AS tenant_id, $2::text AS environment_id) b`,
      [scope.tenantId, scope.environmentId],
    );
    return row.holds;
  };

  it('opens, counts the failures, and closes again, within the tenant only', async () => {
    const scope = uniqueTenant('breaker');
    const other = uniqueTenant('breaker_other');
    expect(await store.find(scope)).toBeUndefined();
    await store.open(scope, 60, 'first 401');
    const { nextProbeAt } = await store.open(scope, 60, 'second 401');
    expect(nextProbeAt?.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(await store.find(scope)).toMatchObject({ state: 'open', failureCount: 2, reason: 'second 401' });
    expect([await store.countOpen(scope), await store.countOpen(other)]).toEqual([1, 0]);
    expect([await notClosed(scope), await notClosed(other)]).toEqual([true, false]);

    await store.close(other);
    expect((await store.find(scope))?.state).toBe('open');
    await store.close(scope);
    expect(await store.find(scope)).toMatchObject({ state: 'closed', failureCount: 0, nextProbeAt: null });
    expect([await store.countOpen(scope), await notClosed(scope)]).toEqual([0, false]);
  });

  it('lets exactly one caller claim the probe once the cool-down has passed, and none before', async () => {
    const scope = uniqueTenant('breaker_probe');
    await store.open(scope, 3600, '401');
    expect(await store.claimProbe(scope, 3600)).toBe(false);
    await dataSource.query(`UPDATE stripe_circuit_breakers SET next_probe_at = now() WHERE tenant_id = $1 AND environment_id = $2`, [
      scope.tenantId,
      scope.environmentId,
    ]);
    const claims = await Promise.all([store.claimProbe(scope, 3600), store.claimProbe(scope, 3600), store.claimProbe(scope, 3600)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.find(scope)).toMatchObject({ state: 'half_open' });
    // Half-open is probing, not open: the status API does not count it.
    expect(await store.countOpen(scope)).toBe(0);
  });
});
