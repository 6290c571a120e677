/**
 * The one backoff formula of Stripe pushes: exponential from `baseMs`, capped at `maxMs`, jittered over the upper
 * half of each step so the retries of a page (or of a tenant's failed rows) do not move in lockstep. Used for the
 * retries inside a call, inside a push and across sync runs alike.
 */
export function retryBackoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
