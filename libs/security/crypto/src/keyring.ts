import { randomBytes } from 'node:crypto';

/** AES-256 needs exactly 32 key bytes. */
export const MASTER_KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

/** Raised for an unusable keyring. Messages name key ids and positions, never key material. */
export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

/** The master keys a service may decrypt with, and the one it encrypts with. */
export class EncryptionKeyring {
  private constructor(
    readonly currentKeyId: string,
    private readonly keys: ReadonlyMap<string, Buffer>,
  ) {}

  /**
   * Parses `FLEXSYNC_ENCRYPTION_KEYS` (`id:<base64 of 32 bytes>[,id:<base64>…]`, newest first by convention) and
   * `FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID`. Throws `KeyringError` listing every problem.
   */
  static parse(keys: string | undefined, currentKeyId: string | undefined): EncryptionKeyring {
    const problems = keyringProblems(keys, currentKeyId);
    if (problems.length > 0) {
      throw new KeyringError(`invalid encryption keyring: ${problems.join('; ')}`);
    }
    const parsed = new Map<string, Buffer>();
    for (const entry of splitEntries(keys ?? '')) {
      const [id, material] = splitEntry(entry);
      parsed.set(id, Buffer.from(material, 'base64'));
    }
    return new EncryptionKeyring(currentKeyId as string, parsed);
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** The key bytes for `keyId`, or undefined when this keyring does not hold it. */
  material(keyId: string): Buffer | undefined {
    return this.keys.get(keyId);
  }
}

function splitEntries(keys: string): string[] {
  return keys
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

function splitEntry(entry: string): [string, string] {
  const colon = entry.indexOf(':');
  return colon < 0 ? [entry, ''] : [entry.slice(0, colon).trim(), entry.slice(colon + 1).trim()];
}

/** Every reason the keyring settings are unusable; empty when they are valid. Shared by start-up validation and `parse`. */
export function keyringProblems(keys: string | undefined, currentKeyId: string | undefined): string[] {
  const problems: string[] = [];
  const entries = splitEntries(keys ?? '');
  if (entries.length === 0) {
    problems.push('FLEXSYNC_ENCRYPTION_KEYS must list at least one key as id:<base64 of 32 bytes>');
  }
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const [id, material] = splitEntry(entry);
    const label = KEY_ID_PATTERN.test(id) ? `key ${id}` : `key #${index + 1}`;
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`${label}: the id must be 1-32 characters of A-Z a-z 0-9 _ -`);
    } else if (seen.has(id)) {
      problems.push(`${label}: the id appears more than once`);
    }
    seen.add(id);
    if (!BASE64_PATTERN.test(material) || Buffer.from(material, 'base64').length !== MASTER_KEY_BYTES) {
      problems.push(`${label}: the key must be base64 of exactly ${MASTER_KEY_BYTES} bytes`);
    }
  });
  if (!currentKeyId) {
    problems.push('FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID must be set');
  } else if (!seen.has(currentKeyId)) {
    problems.push('FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID must name a key in FLEXSYNC_ENCRYPTION_KEYS');
  }
  return problems;
}

/** A fresh keyring entry `id:<base64>` for `FLEXSYNC_ENCRYPTION_KEYS`. */
export function generateKeyringEntry(keyId: string): string {
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw new KeyringError('the key id must be 1-32 characters of A-Z a-z 0-9 _ -');
  }
  return `${keyId}:${randomBytes(MASTER_KEY_BYTES).toString('base64')}`;
}
