import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from './data-source';
import { isUniqueViolation, violatedUniqueIndex } from './unique-violation';

describe('unique violations (real Postgres)', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('names the unique index a second insert of the same key ran into, and nothing for other errors', async () => {
    const tenant = uniqueTenant('unique_violation');
    const insert = () =>
      dataSource.query(
        `INSERT INTO meter_provider_mappings (tenant_id, environment_id, meter_id, provider_type, provider_meter_id)
         VALUES ($1, $2, 'meter_1', 'stripe', 'meter.one')`,
        [tenant.tenantId, tenant.environmentId],
      );
    await insert();
    const error = await insert().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(violatedUniqueIndex(error)).toMatch(/meter/);
    expect(isUniqueViolation(error)).toBe(true);
    const other = await dataSource.query('SELECT 1/0').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(violatedUniqueIndex(other)).toBeUndefined();
    expect(isUniqueViolation(other)).toBe(false);
  });
});
