import { ControlInputError, parseAccountSeed, parseFaultRule } from './control-input';
import type { EmulatorAccountSeed } from './emulator-state';
import { DEFAULT_STRIPE_EMULATOR_KEY, type StripeEmulatorOptions } from './stripe-emulator';

export const DEFAULT_STRIPE_EMULATOR_PORT = 12180;

export class StripeEmulatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stripe emulator configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'StripeEmulatorConfigError';
  }
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function positiveNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  problems: string[],
  options: { integer?: boolean; allowZero?: boolean } = {},
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }
  const value = Number(raw);
  const valid =
    Number.isFinite(value) &&
    (options.allowZero === true ? value >= 0 : value > 0) &&
    (options.integer !== true || Number.isInteger(value));
  if (!valid) {
    problems.push(`${name} must be a ${options.integer === true ? 'whole' : 'positive'} number (got '${raw}')`);
    return undefined;
  }
  return value;
}

function jsonList<T>(env: NodeJS.ProcessEnv, name: string, parse: (value: unknown) => T, problems: string[]): T[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    problems.push(`${name} must be a JSON array`);
    return undefined;
  }
  if (!Array.isArray(parsed)) {
    problems.push(`${name} must be a JSON array`);
    return undefined;
  }
  const items: T[] = [];
  parsed.forEach((entry, index) => {
    try {
      items.push(parse(entry));
    } catch (error) {
      const message = error instanceof ControlInputError || error instanceof Error ? error.message : String(error);
      problems.push(`${name}[${index}]: ${message}`);
    }
  });
  return items;
}

/**
 * Reads the emulator's settings from the environment, reporting every bad
 * variable at once:
 *
 * - `STRIPE_EMULATOR_PORT` (12180), `STRIPE_EMULATOR_HOST` (127.0.0.1)
 * - `STRIPE_EMULATOR_KEYS`: comma-separated secret keys, one account each
 *   (default `sk_test_flexsync_default`); `STRIPE_EMULATOR_ACCOUNTS`: JSON
 *   array of `{ id?, apiKeys, meters?, rateLimitPerSecond? }`, added after them
 * - `STRIPE_EMULATOR_METERS`: comma-separated event names, a sum meter for each in every account
 * - `STRIPE_EMULATOR_RATE_LIMIT_PER_SECOND` (1000), `STRIPE_EMULATOR_STREAM_RATE_LIMIT_PER_SECOND` (10000)
 * - `STRIPE_EMULATOR_AUTO_CREATE_METERS` (`true`/`false`, default false)
 * - `STRIPE_EMULATOR_FAULTS`: JSON array of fault rules active from the start
 * - `STRIPE_EMULATOR_INGESTION_DELAY_MS` (3000): how long summaries lag an accepted event
 * - `STRIPE_EMULATOR_SESSION_TTL_SECONDS` (900): lifetime of a v2 meter event session token
 * - `STRIPE_EMULATOR_REQUEST_LOG_LIMIT` (200000): how many of the newest requests `/__admin/requests` lists
 */
export function stripeEmulatorOptionsFromEnv(env: NodeJS.ProcessEnv): StripeEmulatorOptions & { port: number; host: string } {
  const problems: string[] = [];
  const port = positiveNumber(env, 'STRIPE_EMULATOR_PORT', problems, { integer: true, allowZero: true });
  if (port !== undefined && port > 65535) {
    problems.push(`STRIPE_EMULATOR_PORT must be at most 65535 (got ${port})`);
  }
  const keys = list(env['STRIPE_EMULATOR_KEYS']);
  const accounts: EmulatorAccountSeed[] = (
    keys.length === 0 && env['STRIPE_EMULATOR_ACCOUNTS'] === undefined ? [DEFAULT_STRIPE_EMULATOR_KEY] : keys
  ).map((key) => ({ apiKeys: [key] }));
  accounts.push(...(jsonList(env, 'STRIPE_EMULATOR_ACCOUNTS', parseAccountSeed, problems) ?? []));
  if (accounts.length === 0) {
    problems.push('no accounts configured: set STRIPE_EMULATOR_KEYS or STRIPE_EMULATOR_ACCOUNTS');
  }
  const autoCreate = env['STRIPE_EMULATOR_AUTO_CREATE_METERS'];
  if (autoCreate !== undefined && autoCreate !== '' && autoCreate !== 'true' && autoCreate !== 'false') {
    problems.push(`STRIPE_EMULATOR_AUTO_CREATE_METERS must be true or false (got '${autoCreate}')`);
  }
  const rate = positiveNumber(env, 'STRIPE_EMULATOR_RATE_LIMIT_PER_SECOND', problems);
  const streamRate = positiveNumber(env, 'STRIPE_EMULATOR_STREAM_RATE_LIMIT_PER_SECOND', problems);
  const faults = jsonList(env, 'STRIPE_EMULATOR_FAULTS', parseFaultRule, problems);
  const ingestionDelayMs = positiveNumber(env, 'STRIPE_EMULATOR_INGESTION_DELAY_MS', problems, { integer: true, allowZero: true });
  const sessionTtlSeconds = positiveNumber(env, 'STRIPE_EMULATOR_SESSION_TTL_SECONDS', problems, { integer: true });
  const requestLogLimit = positiveNumber(env, 'STRIPE_EMULATOR_REQUEST_LOG_LIMIT', problems, { integer: true });
  if (problems.length > 0) {
    throw new StripeEmulatorConfigError(problems);
  }
  return {
    host: env['STRIPE_EMULATOR_HOST']?.trim() || '127.0.0.1',
    port: port ?? DEFAULT_STRIPE_EMULATOR_PORT,
    accounts,
    meters: list(env['STRIPE_EMULATOR_METERS']).map((eventName) => ({ eventName })),
    autoCreateMeters: autoCreate === 'true',
    ...(rate === undefined ? {} : { rateLimitPerSecond: rate }),
    ...(streamRate === undefined ? {} : { streamRateLimitPerSecond: streamRate }),
    ...(faults === undefined ? {} : { faults }),
    ...(ingestionDelayMs === undefined ? {} : { ingestionDelayMs }),
    ...(sessionTtlSeconds === undefined ? {} : { sessionTtlSeconds }),
    ...(requestLogLimit === undefined ? {} : { requestLogLimit }),
  };
}
