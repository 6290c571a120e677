import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EncryptionKeyring } from './keyring';

/** An encrypted value as stored: the ciphertext and the id of the master key that sealed it. */
export interface SealedSecret {
  ciphertext: string;
  keyId: string;
}

const FORMAT = 'v1';
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

/** Authenticated data: the format and key id, so a value cannot be opened under a different key id than it was sealed with. */
function associatedData(keyId: string): Buffer {
  return Buffer.from(`${FORMAT}:${keyId}`, 'utf8');
}

/**
 * Seals secrets (Stripe API keys, webhook secrets) with AES-256-GCM under the keyring's current master key, a fresh
 * random nonce per value, and opens values sealed under any key the keyring still holds.
 *
 * Stored ciphertext: `v1.<nonce b64url>.<ciphertext b64url>.<tag b64url>`.
 */
export class SecretBox {
  constructor(private readonly keyring: EncryptionKeyring) {}

  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  seal(plaintext: string): SealedSecret {
    const keyId = this.keyring.currentKeyId;
    const key = this.keyring.material(keyId) as Buffer;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return { ciphertext: [FORMAT, nonce.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.'), keyId };
  }

  open(sealed: SealedSecret): string {
    const key = this.keyring.material(sealed.keyId);
    if (!key) {
      throw new SecretBoxError('unknown_key', `the keyring does not hold key ${JSON.stringify(sealed.keyId)}`);
    }
    const parts = sealed.ciphertext.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT) {
      throw new SecretBoxError('malformed', 'the sealed value is not in the v1 format');
    }
    const [nonce, body, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
    if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretBoxError('malformed', 'the sealed value has a bad nonce or tag length');
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(sealed.keyId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('tampered', 'the sealed value failed authentication (tampered, or sealed under another key)');
    }
  }

  /** True when the value was sealed under an older key and should be re-sealed. */
  needsRotation(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.keyring.currentKeyId;
  }

  /** Opens with whichever key sealed it and seals again under the current key. */
  reseal(sealed: SealedSecret): SealedSecret {
    return this.seal(this.open(sealed));
  }
}
