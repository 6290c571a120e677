import { DataSource } from 'typeorm';
import { dataSourceOptions, findIdRuleViolations } from '@flexsync/persistence';
import { ID_RULES } from '@flexsync/runtime';

/**
 * `db:check-ids`: lists stored ids that break the id rule of their kind (e.g. a customer mapped as `cust#1` before
 * the mapping API applied the FlexPrice id rule). Exit 1 when any is found, so it can gate an upgrade.
 */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const dataSource = await new DataSource({ ...dataSourceOptions(url), extra: { max: 1 } }).initialize();
  try {
    const violations = await findIdRuleViolations(dataSource);
    for (const v of violations) {
      process.stdout.write(
        `${v.table}.${v.column}\ttenant=${v.tenantId}\tenvironment=${v.environmentId}\tvalue=${JSON.stringify(v.value)}\trows=${v.rows}\tmust be ${ID_RULES[v.kind].description}\n`,
      );
    }
    process.stdout.write(violations.length ? `${violations.length} stored id(s) break their rule\n` : 'every stored id follows its rule\n');
    if (violations.length) process.exitCode = 1;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
