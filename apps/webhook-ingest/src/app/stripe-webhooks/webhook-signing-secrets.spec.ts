import { randomBytes } from 'node:crypto';
import { EncryptionKeyring, SecretBox } from '@flexsync/crypto';
import type { StripeConfigStore } from '@flexsync/persistence';
import type { WebhookIngestConfig } from '../webhook-ingest.config';
import { WebhookSigningSecrets } from './webhook-signing-secrets';

const SCOPE = { tenantId: 'tenant_a', environmentId: 'env_a' };

describe('WebhookSigningSecrets', () => {
  const box = new SecretBox(EncryptionKeyring.parse(`k1:${randomBytes(32).toString('base64')}`, 'k1'));
  const sealed = box.seal('whsec_cached_secret', { ...SCOPE, field: 'webhook_secret' });
  const row = {
    webhookSecretCiphertext: sealed.ciphertext,
    webhookSecretKeyId: sealed.keyId,
    livemode: false,
    stripeAccountId: 'acct_a',
    apiKeyMasked: 'sk_test_…0000',
  };
  const config = {
    WEBHOOK_SECRET_CACHE_TTL_MS: 30_000,
    WEBHOOK_UNKNOWN_ENDPOINT_CACHE_TTL_MS: 1000,
    WEBHOOK_SECRET_REREAD_MIN_INTERVAL_MS: 1000,
    globalWebhookSecret: undefined,
  } as WebhookIngestConfig;

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function sut(found: unknown): { secrets: WebhookSigningSecrets; find: jest.Mock } {
    const find = jest.fn().mockResolvedValue(found);
    return { secrets: new WebhookSigningSecrets({ find } as unknown as StripeConfigStore, box, config), find };
  }

  it('drops a decrypted secret from memory when its TTL ends, even if the endpoint is never called again', async () => {
    const { secrets } = sut(row);
    expect(await secrets.resolve(SCOPE)).toMatchObject({ secret: 'whsec_cached_secret', source: 'tenant', stripeAccountId: 'acct_a' });
    expect(secrets.openSecretCount).toBe(1);
    jest.advanceTimersByTime(30_001);
    expect(secrets.openSecretCount).toBe(0);
  });

  it('remembers an unknown endpoint, so repeats cost no lookup', async () => {
    const { secrets, find } = sut(null);
    expect(await secrets.resolve(SCOPE)).toBeUndefined();
    expect(await secrets.resolve(SCOPE)).toBeUndefined();
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('is worth re-reading after a failed check only once the interval has passed', async () => {
    const { secrets } = sut(row);
    await secrets.resolve(SCOPE);
    expect(secrets.worthRereading(SCOPE)).toBe(false);
    jest.advanceTimersByTime(999);
    expect(secrets.worthRereading(SCOPE)).toBe(false);
    jest.setSystemTime(Date.now() + 1);
    expect(secrets.worthRereading(SCOPE)).toBe(true);
  });
});
