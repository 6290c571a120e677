import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EncryptionKeyring, SecretBox } from '@flexsync/crypto';
import { dataSourceOptions, type TenantScope } from '@flexsync/persistence';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { StripeAccountDirectory, type StripeAccountSettings } from './stripe-accounts';

const KEY_A = ['sk', 'test', 'workerTenantA00001'].join('_');
const KEY_B = ['sk', 'test', 'workerTenantB00002'].join('_');
const SETTINGS: StripeAccountSettings = { timeoutMs: 1000, liveWritesPerSecond: 100, testWritesPerSecond: 25 };

describe('StripeAccountDirectory opening sealed keys (real Postgres)', () => {
  const secretBox = new SecretBox(EncryptionKeyring.parse(`k1:${randomBytes(32).toString('base64')}`, 'k1'));
  let db: DataSource;

  beforeAll(async () => {
    db = await new DataSource({ ...dataSourceOptions(stackEnv().DATABASE_URL), extra: { max: 2 } }).initialize();
  });

  afterAll(async () => {
    await db.destroy();
  });

  async function seed(tenant: TenantScope, apiKey: string): Promise<{ ciphertext: string; keyId: string }> {
    const sealed = secretBox.seal(apiKey, { ...tenant, field: 'api_key' });
    await db.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked)
       VALUES ($1, $2, $3, $4, 'sk_test_…0000')`,
      [tenant.tenantId, tenant.environmentId, sealed.ciphertext, sealed.keyId],
    );
    return sealed;
  }

  async function store(tenant: TenantScope, sealed: { ciphertext: string; keyId: string }): Promise<void> {
    await db.query(
      `UPDATE stripe_tenant_configs SET api_key_ciphertext = $3, api_key_key_id = $4 WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId, sealed.ciphertext, sealed.keyId],
    );
  }

  it("refuses to open tenant B's key swapped into tenant A's row, with a clear reason that names no secret", async () => {
    const a = uniqueTenant('worker-bound-a');
    const b = uniqueTenant('worker-bound-b');
    const sealedA = await seed(a, KEY_A);
    const sealedB = await seed(b, KEY_B);
    await store(a, sealedB);
    await store(b, sealedA);
    const sut = new StripeAccountDirectory(db, secretBox, SETTINGS);

    for (const tenant of [a, b]) {
      const account = await sut.account(tenant);
      expect(account).toEqual({
        ready: false,
        reason: 'stripe api key cannot be decrypted for this tenant and environment (tampered)',
      });
    }
    expect(sut.openKeyCount).toBe(0);
  });

  it('opens its own row, and drops the opened key after the TTL', async () => {
    const tenant = uniqueTenant('worker-ttl');
    await seed(tenant, KEY_A);
    // Long enough that the second lookup (a Postgres round trip on a busy CI machine) lands inside it.
    const sut = new StripeAccountDirectory(db, secretBox, { ...SETTINGS, keyTtlMs: 1_000 });

    const first = await sut.account(tenant);
    expect(first).toMatchObject({ ready: true, livemode: false });
    expect(sut.openKeyCount).toBe(1);
    const again = await sut.account(tenant);
    expect(again.ready && first.ready && again.client === first.client).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(sut.openKeyCount).toBe(0);
    const reopened = await sut.account(tenant);
    expect(reopened.ready && first.ready && reopened.client !== first.client).toBe(true);
  });
});
