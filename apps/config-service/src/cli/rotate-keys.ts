import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { EncryptionCurrentKeyIdField, EncryptionEnvFields, EncryptionKeysField, secretBoxFrom } from '@flexsync/crypto';
import { dataSourceOptions } from '@flexsync/persistence';
import { DatabaseUrlField, loadConfig } from '@flexsync/runtime';
import { rotateConfigKeys } from '../app/key-rotation/rotate-config-keys';

const USAGE = `usage: node tools/dev/run-ts.js apps/config-service/src/cli/rotate-keys.ts [--tenant T …] [--dry-run]

Re-seals every stored Stripe API key and webhook secret under FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID, bound to its row
(tenant, environment, field; legacy unbound v1 values become v2), in one transaction.
FLEXSYNC_ENCRYPTION_KEYS must still hold every key id in use (the new current key plus the previous ones).`;

class RotateKeysConfig implements EncryptionEnvFields {
  @DatabaseUrlField()
  DATABASE_URL!: string;

  @EncryptionKeysField()
  FLEXSYNC_ENCRYPTION_KEYS!: string;

  @EncryptionCurrentKeyIdField()
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID!: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig('rotate-keys', RotateKeysConfig);
  const box = secretBoxFrom(config);
  const dataSource = await new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 1 } }).initialize();
  try {
    const report = await rotateConfigKeys(dataSource, box, { tenantIds: values.tenant, dryRun: values['dry-run'] });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
