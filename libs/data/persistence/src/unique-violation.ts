import { QueryFailedError } from 'typeorm';

/** Postgres' SQLSTATE for a unique index violation. */
const UNIQUE_VIOLATION = '23505';

interface PostgresDriverError {
  code?: string;
  constraint?: string;
}

/** The unique index a failed insert/update ran into, or undefined when the error is something else. */
export function violatedUniqueIndex(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driver = error.driverError as PostgresDriverError;
  return driver.code === UNIQUE_VIOLATION ? (driver.constraint ?? 'unknown') : undefined;
}

/** A concurrent writer inserted the same key first. */
export function isUniqueViolation(error: unknown): boolean {
  return violatedUniqueIndex(error) !== undefined;
}
