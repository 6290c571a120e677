/**
 * `work`, or a rejection naming `what` once `timeoutMs` passed. The work itself is not cancelled; callers use it
 * where an answer that comes too late is as good as none (a health probe, a Kafka publish behind an outbox).
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
