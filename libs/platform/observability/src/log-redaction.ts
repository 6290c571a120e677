import pino, { type LoggerOptions } from 'pino';

/**
 * Keys whose values never reach a log line, compared without case, `_` or `-` (so `api_key`, `apiKey` and
 * `API-KEY` are one key). `parameters` is what TypeORM attaches to a failed query: the bound values, which for
 * webhook-ingest are whole Stripe payloads with personal data.
 */
const SECRET_KEYS = new Set(
  [
    'api_key',
    'apikey',
    'webhook_secret',
    'secret',
    'client_secret',
    'password',
    'passwd',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'authorization',
    'cookie',
    'set-cookie',
    'stripe-signature',
    'private_key',
    'encryption_keys',
    'ciphertext',
    'parameters',
  ].map(normalizeKey),
);

/** Secrets recognisable by shape, masked inside any string (error messages, URLs, free text). */
const SECRET_VALUE_PATTERNS: RegExp[] = [
  /\b(sk|rk|pk)_(test|live)_[A-Za-z0-9]{6,}/g,
  /\bwhsec_[A-Za-z0-9+/=_-]{6,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
];

export const REDACTED = '[redacted]';
/** Deeper than any log context we write; beyond it a value is dropped rather than walked. */
export const MAX_REDACTION_DEPTH = 10;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

export function isSecretLogKey(key: string): boolean {
  return SECRET_KEYS.has(normalizeKey(key));
}

export function maskSecretsInText(text: string): string {
  let masked = text;
  for (const pattern of SECRET_VALUE_PATTERNS) masked = masked.replace(pattern, REDACTED);
  return masked;
}

/** An Error as pino's serializer prints it (type, message, stack and own properties), so it can be walked. */
function errorFields(error: Error): Record<string, unknown> {
  return pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskSecretsInText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_REDACTION_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, seen));
    const source = value instanceof Error ? errorFields(value) : (value as Record<string, unknown>);
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(source)) {
      copy[key] = isSecretLogKey(key) && inner !== undefined && inner !== null ? REDACTED : walk(inner, depth + 1, seen);
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

/**
 * A copy of a log object with secret keys replaced at any depth (bounded), secrets masked inside strings and errors
 * turned into their printed fields first. pino's own `redact` paths are fixed paths without recursion, so a
 * `{ body: { config: { api_key } } }` one level deeper than a path would print as is.
 */
export function redactLogObject(object: Record<string, unknown>): Record<string, unknown> {
  return walk(object, 0, new WeakSet()) as Record<string, unknown>;
}

/**
 * The options every pino logger of the services uses: each log call's object goes through `redactLogObject`,
 * and the message through `maskSecretsInText` (a hook, since pino prints the message after the formatters).
 */
export function redactingPinoOptions(): Pick<LoggerOptions, 'formatters' | 'hooks'> {
  return {
    formatters: { log: (object) => redactLogObject(object) },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskSecretsInText(arg) : arg)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
  };
}
