import { migrateDown, migrateUp } from '@flexsync/persistence';

/** `db:migrate` / `db:revert`: Postgres schema through the TypeORM migrations (under an advisory lock). */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const direction = process.argv[2] ?? 'up';
  if (direction === 'up') {
    const applied = await migrateUp(url);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema up to date\n');
  } else if (direction === 'down') {
    const steps = Number(process.argv[3] ?? '1');
    process.stdout.write(`reverted ${await migrateDown(url, steps)} migration(s)\n`);
  } else {
    throw new Error(`unknown direction ${direction}; use up or down [steps]`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
