import { createCipheriv, randomBytes } from 'node:crypto';
import { EncryptionKeyring, generateKeyringEntry, KeyringError } from './keyring';
import { SealedSecret, SecretBinding, SecretBox, SecretBoxError } from './secret-box';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');

const ROW: SecretBinding = { tenantId: 'tenant_a', environmentId: 'env_a', field: 'api_key' };

/** A value as the previous (unbound) `v1` envelope stored it: AAD was only `v1:<key id>`. */
function legacySeal(keyBase64: string, keyId: string, plaintext: string): SealedSecret {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(keyBase64, 'base64'), nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`v1:${keyId}`, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [nonce, body, cipher.getAuthTag()].map((part) => part.toString('base64url'));
  return { ciphertext: ['v1', ...parts].join('.'), keyId };
}

function box(keys: string, current: string): SecretBox {
  return new SecretBox(EncryptionKeyring.parse(keys, current));
}

function flipCharAt(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

function tamperPart(sealed: SealedSecret, part: 1 | 2 | 3): SealedSecret {
  const parts = sealed.ciphertext.split('.');
  parts[part] = flipCharAt(parts[part], 2);
  return { ...sealed, ciphertext: parts.join('.') };
}

function openError(secretBox: SecretBox, sealed: SealedSecret): SecretBoxError {
  try {
    secretBox.open(sealed, ROW);
  } catch (error) {
    if (error instanceof SecretBoxError) return error;
    throw error;
  }
  throw new Error('open unexpectedly succeeded');
}

describe('SecretBox', () => {
  const sut = box(`k1:${K1}`, 'k1');

  it('opens what it sealed, including non-ASCII and empty values', () => {
    for (const plaintext of ['sk_test_51AbCdEfGhIjKlMnOp', 'whsec_ünïcødé✓', '', 'x'.repeat(10_000)]) {
      const sealed = sut.seal(plaintext, ROW);
      expect(sealed.keyId).toBe('k1');
      expect(sealed.ciphertext).not.toContain(plaintext || 'never-empty');
      expect(sut.open(sealed, ROW)).toBe(plaintext);
    }
  });

  it('uses a fresh random nonce per value, so equal plaintexts give different ciphertexts', () => {
    const a = sut.seal('sk_test_same', ROW);
    const b = sut.seal('sk_test_same', ROW);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.ciphertext.split('.')[1]).not.toBe(b.ciphertext.split('.')[1]);
  });

  it.each([
    ['nonce', 1],
    ['ciphertext body', 2],
    ['authentication tag', 3],
  ] as const)('rejects a value whose %s was tampered with', (_name, part) => {
    const sealed = sut.seal('sk_test_tamper_me_please', ROW);
    expect(openError(sut, tamperPart(sealed, part)).reason).toBe('tampered');
  });

  it('rejects a truncated or re-formatted value as malformed', () => {
    const sealed = sut.seal('sk_test_abc', ROW);
    expect(openError(sut, { ...sealed, ciphertext: sealed.ciphertext.split('.').slice(0, 3).join('.') }).reason).toBe('malformed');
    expect(openError(sut, { ...sealed, ciphertext: sealed.ciphertext.replace(/^v2\./, 'v0.') }).reason).toBe('malformed');
    expect(openError(sut, { ...sealed, ciphertext: 'sk_test_plaintext_is_never_accepted' }).reason).toBe('malformed');
  });

  it('rejects a key id the keyring does not hold', () => {
    const sealed = sut.seal('sk_test_abc', ROW);
    expect(openError(sut, { ...sealed, keyId: 'k9' }).reason).toBe('unknown_key');
  });

  it('rejects a value presented under another key id of the same keyring', () => {
    const both = box(`k2:${K2},k1:${K1}`, 'k1');
    const sealed = both.seal('sk_test_abc', ROW);
    expect(openError(both, { ...sealed, keyId: 'k2' }).reason).toBe('tampered');
  });

  it('never puts the plaintext or key material into its errors', () => {
    const sealed = sut.seal('sk_test_secret_value_1234', ROW);
    const error = openError(sut, tamperPart(sealed, 2));
    expect(error.message).not.toContain('sk_test_secret_value_1234');
    expect(error.message).not.toContain(K1);
  });

  it('keeps values sealed under a previous key readable after the current key rotates, and reseals them under the new one', () => {
    const before = box(`k1:${K1}`, 'k1');
    const sealed = before.seal('sk_live_rotate_me', ROW);
    const after = box(`k2:${K2},k1:${K1}`, 'k2');
    expect(after.needsRotation(sealed)).toBe(true);
    expect(after.open(sealed, ROW)).toBe('sk_live_rotate_me');
    const resealed = after.reseal(sealed, ROW);
    expect(resealed.keyId).toBe('k2');
    expect(after.needsRotation(resealed)).toBe(false);
    expect(box(`k2:${K2}`, 'k2').open(resealed, ROW)).toBe('sk_live_rotate_me');
  });

  it.each([
    ['another tenant', { ...ROW, tenantId: 'tenant_b' }],
    ['another environment', { ...ROW, environmentId: 'env_b' }],
    ['another field', { ...ROW, field: 'webhook_secret' }],
  ] as const)('refuses a value copied to %s as tampered', (_name, elsewhere) => {
    const sealed = sut.seal('sk_test_bound_to_its_row', ROW);
    expect(sut.open(sealed, ROW)).toBe('sk_test_bound_to_its_row');
    expect(() => sut.open(sealed, elsewhere)).toThrow(SecretBoxError);
    try {
      sut.open(sealed, elsewhere);
    } catch (error) {
      expect((error as SecretBoxError).reason).toBe('tampered');
    }
  });

  it('keeps ids that contain separators apart', () => {
    const sealed = sut.seal('sk_test_x', { tenantId: 'a|b', environmentId: 'c', field: 'api_key' });
    expect(() => sut.open(sealed, { tenantId: 'a', environmentId: 'b|c', field: 'api_key' })).toThrow(SecretBoxError);
  });

  it('reads a legacy unbound v1 value, marks it for rotation, and reseals it bound to its row', () => {
    const legacy = legacySeal(K1, 'k1', 'sk_test_sealed_before_bindings');
    expect(sut.isBound(legacy)).toBe(false);
    expect(sut.needsRotation(legacy)).toBe(true);
    expect(sut.open(legacy, ROW)).toBe('sk_test_sealed_before_bindings');
    const resealed = sut.reseal(legacy, ROW);
    expect(resealed.ciphertext.startsWith('v2.')).toBe(true);
    expect(sut.isBound(resealed)).toBe(true);
    expect(sut.needsRotation(resealed)).toBe(false);
    expect(() => sut.open(resealed, { ...ROW, tenantId: 'tenant_b' })).toThrow(SecretBoxError);
  });

  it('never accepts a tampered legacy value', () => {
    const legacy = legacySeal(K1, 'k1', 'sk_test_legacy_tamper');
    expect(openError(sut, tamperPart(legacy, 3)).reason).toBe('tampered');
  });
});

describe('EncryptionKeyring.parse', () => {
  it('accepts a keyring whose current key is listed', () => {
    const keyring = EncryptionKeyring.parse(` k2:${K2} , k1:${K1} `, 'k2');
    expect(keyring.keyIds).toEqual(['k2', 'k1']);
    expect(keyring.currentKeyId).toBe('k2');
  });

  it.each([
    ['no keys at all', undefined, 'k1', 'must list at least one key'],
    ['an empty key list', '', 'k1', 'must list at least one key'],
    ['no current key id', `k1:${K1}`, undefined, 'CURRENT_KEY_ID must be set'],
    ['a current key id that is not in the ring', `k1:${K1}`, 'k2', 'must name a key in'],
    ['a key that is not base64', 'k1:not*base64!', 'k1', 'base64 of exactly 32 bytes'],
    ['a 16-byte key', `k1:${randomBytes(16).toString('base64')}`, 'k1', 'base64 of exactly 32 bytes'],
    ['a key without an id', `${K1}`, 'k1', 'key #1'],
    ['a duplicated key id', `k1:${K1},k1:${K2}`, 'k1', 'appears more than once'],
    ['a bad key id', `k 1:${K1}`, 'k 1', 'the id must be'],
  ])('refuses %s', (_name, keys, current, expected) => {
    expect(() => EncryptionKeyring.parse(keys, current)).toThrow(KeyringError);
    expect(() => EncryptionKeyring.parse(keys, current)).toThrow(expected);
  });

  it('reports every problem at once without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    let message = '';
    try {
      EncryptionKeyring.parse(`k1:${short},k1:${K1}`, 'k3');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('base64 of exactly 32 bytes');
    expect(message).toContain('appears more than once');
    expect(message).toContain('must name a key in');
    expect(message).not.toContain(short);
    expect(message).not.toContain(K1);
  });

  it('generates entries that parse as a usable keyring', () => {
    const entry = generateKeyringEntry('k7');
    expect(entry).toMatch(/^k7:[A-Za-z0-9+/]{43}=$/);
    const sut = new SecretBox(EncryptionKeyring.parse(entry, 'k7'));
    expect(sut.open(sut.seal('whsec_generated', ROW), ROW)).toBe('whsec_generated');
  });
});
