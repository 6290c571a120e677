import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface StackEnv {
  DATABASE_URL: string;
  CLICKHOUSE_URL: string;
  CLICKHOUSE_DATABASE: string;
  KAFKA_BROKERS: string;
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  STRIPE_MOCK_URL: string;
  STRIPE_EMULATOR_URL: string;
  FLEXSYNC_STACK_DIR: string;
  [key: string]: string;
}

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export function stackDir(): string {
  return process.env.FLEXSYNC_STACK_DIR ?? join(REPO_ROOT, '.stack');
}

/** Reads the env file `tools/stack/stack.sh up` writes; process env wins so CI can point elsewhere. */
export function stackEnv(): StackEnv {
  const file = join(stackDir(), 'stack.env');
  if (!existsSync(file)) {
    throw new Error(`no ${file}: start the local stack first with \`npm run stack -- up\``);
  }
  const fromFile = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const merged: Record<string, string> = { ...fromFile };
  for (const key of Object.keys(fromFile)) {
    const override = process.env[key];
    if (override) merged[key] = override;
  }
  return merged as StackEnv;
}
