import { QueryFailedError } from 'typeorm';

interface PostgresDriverError {
  code?: string;
  constraint?: string;
}

/** The unique index a failed insert/update ran into, or undefined when the error is something else. */
export function violatedUniqueIndex(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driver = error.driverError as PostgresDriverError;
  return driver.code === '23505' ? (driver.constraint ?? 'unknown') : undefined;
}
