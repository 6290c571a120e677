import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EncryptionKeyring } from './keyring';

/** An encrypted value as stored: the ciphertext and the id of the master key that sealed it. */
export interface SealedSecret {
  ciphertext: string;
  keyId: string;
}

/** Which stored secret of a config a value is. */
export type SecretField = 'api_key' | 'webhook_secret';

/** The row and column a sealed value belongs to; it is authenticated with the value, so a copy elsewhere fails to open. */
export interface SecretBinding {
  tenantId: string;
  environmentId: string;
  field: SecretField;
}

/**
 * Envelope versions. `v2` authenticates the binding (tenant, environment, field) as associated data; `v1` (written
 * before bindings existed) authenticates only its key id. `v1` values stay readable until the rotate command re-seals
 * them as `v2`; nothing new is written as `v1`.
 */
const BOUND_FORMAT = 'v2';
const UNBOUND_FORMAT = 'v1';
const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Raised when a sealed value cannot be opened. Never carries plaintext, ciphertext or key material. */
export class SecretBoxError extends Error {
  constructor(
    readonly reason: 'unknown_key' | 'malformed' | 'tampered',
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** Authenticated data. JSON keeps the parts unambiguous whatever characters the ids hold. */
function associatedData(format: string, keyId: string, binding?: SecretBinding): Buffer {
  if (format === UNBOUND_FORMAT) return Buffer.from(`${UNBOUND_FORMAT}:${keyId}`, 'utf8');
  const { tenantId, environmentId, field } = binding as SecretBinding;
  return Buffer.from(JSON.stringify([format, keyId, tenantId, environmentId, field]), 'utf8');
}

function formatOf(sealed: SealedSecret): string {
  return sealed.ciphertext.slice(0, sealed.ciphertext.indexOf('.'));
}

/**
 * Seals secrets (Stripe API keys, webhook secrets) with AES-256-GCM under the keyring's current master key, a fresh
 * random nonce per value and the value's binding as associated data, and opens values sealed under any key the
 * keyring still holds.
 *
 * Stored ciphertext: `v2.<nonce b64url>.<ciphertext b64url>.<tag b64url>` (legacy `v1.` values: same layout, unbound).
 */
export class SecretBox {
  constructor(private readonly keyring: EncryptionKeyring) {}

  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  seal(plaintext: string, binding: SecretBinding): SealedSecret {
    const keyId = this.keyring.currentKeyId;
    const key = this.keyring.material(keyId) as Buffer;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(BOUND_FORMAT, keyId, binding));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      ciphertext: [BOUND_FORMAT, nonce.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.'),
      keyId,
    };
  }

  /** Opens a value stored at `binding`; a `v2` value sealed for any other tenant, environment or field is `tampered`. */
  open(sealed: SealedSecret, binding: SecretBinding): string {
    const key = this.keyring.material(sealed.keyId);
    if (!key) {
      throw new SecretBoxError('unknown_key', `the keyring does not hold key ${JSON.stringify(sealed.keyId)}`);
    }
    const parts = sealed.ciphertext.split('.');
    if (parts.length !== 4 || (parts[0] !== BOUND_FORMAT && parts[0] !== UNBOUND_FORMAT)) {
      throw new SecretBoxError('malformed', 'the sealed value is not in the v1 or v2 format');
    }
    const [nonce, body, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
    if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretBoxError('malformed', 'the sealed value has a bad nonce or tag length');
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(parts[0], sealed.keyId, binding));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'tampered',
        'the sealed value failed authentication (tampered, sealed under another key, or sealed for another tenant or field)',
      );
    }
  }

  /** False for a legacy `v1` value, which any row could hold: the rotate command re-seals it bound to its row. */
  isBound(sealed: SealedSecret): boolean {
    return formatOf(sealed) === BOUND_FORMAT;
  }

  /** True when the value was sealed under an older key, or without a binding, and should be re-sealed. */
  needsRotation(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.keyring.currentKeyId || !this.isBound(sealed);
  }

  /** Opens with whichever key sealed it and seals again under the current key, bound to `binding`. */
  reseal(sealed: SealedSecret, binding: SecretBinding): SealedSecret {
    return this.seal(this.open(sealed, binding), binding);
  }
}
