/**
 * A message that can never be processed, however often it is retried (bad JSON, wrong shape, unknown version).
 * The consumer sends it to the dead-letter topic with `reason` and moves on; every other error is retried.
 */
export class PoisonMessageError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'PoisonMessageError';
  }
}

/** The broker could not take a message in time; the caller decides whether to retry or answer 503. */
export class KafkaUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaUnavailableError';
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
