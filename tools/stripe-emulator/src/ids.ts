import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Random id in Stripe's style: a type prefix and a base62 body (`req_3Nf2...`). */
export function stripeId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let body = '';
  for (const byte of bytes) {
    body += ALPHABET[byte % ALPHABET.length];
  }
  return `${prefix}_${body}`;
}

export function requestId(): string {
  return stripeId('req', 14);
}
