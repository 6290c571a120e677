import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ID_RULES } from '@flexsync/runtime';
import { FLEXPRICE_CUSTOMER_ID_SAMPLES, REPO_ROOT, stackEnv } from '@flexsync/testing';
import { dataSourceOptions, migrateUp } from './data-source';
import { findIdRuleViolations } from './id-rule-check';

const run = promisify(execFile);

/** A database of its own, so the listing is exactly what this spec stored. */
describe('db:check-ids lists stored ids that break the rule of their kind', () => {
  const base = stackEnv().DATABASE_URL;
  const databaseName = `flexsync_id_check_${process.pid}`;
  const databaseUrl = base.replace(/\/[^/]+$/, `/${databaseName}`);
  let admin: Client;
  let dataSource: DataSource;

  async function checkIds(): Promise<{ code: number; stdout: string }> {
    try {
      const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), 'tools/db/check-ids.ts'], {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl },
      });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  }

  async function mapCustomer(customerId: string, stripeId: string): Promise<void> {
    await dataSource.query(
      `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id, status, source, metadata)
       VALUES ('tenant_1', 'env_1', $1, 'stripe', $2, 'mapped', 'manual', '{}')`,
      [customerId, stripeId],
    );
  }

  beforeAll(async () => {
    admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
    await migrateUp(databaseUrl);
    dataSource = await new DataSource(dataSourceOptions(databaseUrl)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
  });

  it('reads each rule in Postgres exactly as the validators read it in JavaScript', async () => {
    for (const { id, valid } of FLEXPRICE_CUSTOMER_ID_SAMPLES) {
      const [row] = await dataSource.query('SELECT $1 ~ $2 AS matches', [id, ID_RULES.flexprice_customer.pattern.source]);
      expect({ id, matches: row.matches }).toEqual({ id, matches: valid });
    }
    for (const id of ['cus_#odd~but.stripe', 'c'.repeat(255), 'c'.repeat(256), 'cus 1', '']) {
      const [row] = await dataSource.query('SELECT $1 ~ $2 AS matches', [id, ID_RULES.stripe.pattern.source]);
      expect({ id, matches: row.matches }).toEqual({ id, matches: ID_RULES.stripe.pattern.test(id) });
    }
  });

  it('exits 0 when every stored id follows its rule', async () => {
    await mapCustomer('client_123', 'cus_test123');
    expect(await findIdRuleViolations(dataSource)).toEqual([]);
    const result = await checkIds();
    expect(result).toEqual({ code: 0, stdout: 'every stored id follows its rule\n' });
  });

  it('lists a customer mapped as cust#1 before the rule, with its tenant, environment and rule, and exits 1', async () => {
    await mapCustomer('cust#1', 'cus_legacy');
    await mapCustomer('cust#1x', 'cus_legacy_2');
    expect(await findIdRuleViolations(dataSource)).toEqual([
      { table: 'customer_integration_mappings', column: 'customer_id', kind: 'flexprice_customer', tenantId: 'tenant_1', environmentId: 'env_1', value: 'cust#1', rows: 1 },
      { table: 'customer_integration_mappings', column: 'customer_id', kind: 'flexprice_customer', tenantId: 'tenant_1', environmentId: 'env_1', value: 'cust#1x', rows: 1 },
    ]);
    const result = await checkIds();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `customer_integration_mappings.customer_id\ttenant=tenant_1\tenvironment=env_1\tvalue="cust#1"\trows=1\tmust be ${ID_RULES.flexprice_customer.description}\n`,
    );
    expect(result.stdout).toContain('2 stored id(s) break their rule\n');
  });
});
