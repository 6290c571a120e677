import { startStripeEmulator, RunningStripeEmulator } from '@flexsync/stripe-emulator';
import { StripeTenantConfig } from '@flexsync/persistence';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { RunningConfigService, startConfigService, testKeyring, tokenFor, validConfigBody } from '../../testing/config-service.harness';

const KEY_A = ['sk', 'test', 'boundToTenantA0001'].join('_');
const KEY_B = ['sk', 'test', 'boundToTenantB0002'].join('_');
const WEBHOOK_SECRET_A = 'whsec_boundToTenantAsecret';

describe('sealed secrets are bound to their tenant, environment and field (real Postgres)', () => {
  const keyring = testKeyring('k1');
  let emulator: RunningStripeEmulator;
  let service: RunningConfigService;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [KEY_A] }, { apiKeys: [KEY_B] }] });
    service = await startConfigService({
      databaseUrl: stackEnv().DATABASE_URL,
      stripeBaseUrl: emulator.url,
      keys: keyring.keys,
      currentKeyId: 'k1',
    });
  });

  afterAll(async () => {
    await service.close();
    await emulator.close();
  });

  async function configure(label: string, body: Record<string, unknown>): Promise<{ token: string; row: StripeTenantConfig }> {
    const tenant = uniqueTenant(label);
    const token = await tokenFor(tenant);
    await service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(validConfigBody(body)).expect(201);
    const row = await service.dataSource.getRepository(StripeTenantConfig).findOneByOrFail(tenant);
    return { token, row };
  }

  async function storeApiKey(row: StripeTenantConfig, ciphertext: string, keyId: string): Promise<void> {
    await service.dataSource
      .createQueryBuilder()
      .update(StripeTenantConfig)
      .set({ apiKeyCiphertext: ciphertext, apiKeyKeyId: keyId })
      .where('id = :id AND tenant_id = :tenantId AND environment_id = :environmentId', row)
      .execute();
  }

  function expectRefusedWithoutSecrets(body: Record<string, unknown>, text: string): void {
    expect(body).toMatchObject({ code: 'CONFIG.SECRET_UNREADABLE', message: expect.stringContaining('cannot be decrypted') });
    for (const secret of [KEY_A, KEY_B, WEBHOOK_SECRET_A, 'boundToTenant']) expect(text).not.toContain(secret);
    // The key id is an operator detail (logs), not an API answer.
    expect(text).not.toContain('key_id');
    expect(text).not.toContain('"k1"');
  }

  it("refuses to open tenant B's api key copied into tenant A's row, and never calls Stripe with it", async () => {
    const a = await configure('bound-a', { api_key: KEY_A });
    const b = await configure('bound-b', { api_key: KEY_B });
    await storeApiKey(a.row, b.row.apiKeyCiphertext, b.row.apiKeyKeyId);
    await storeApiKey(b.row, a.row.apiKeyCiphertext, a.row.apiKeyKeyId);
    const balanceCallsWithB = emulator.requestCounts({ pathPrefix: '/v1/balance', account: KEY_B }).accepted;

    const responseA = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${a.token}`).expect(500);
    expectRefusedWithoutSecrets(responseA.body, responseA.text);
    const responseB = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${b.token}`).expect(500);
    expectRefusedWithoutSecrets(responseB.body, responseB.text);
    expect(emulator.requestCounts({ pathPrefix: '/v1/balance', account: KEY_B }).accepted).toBe(balanceCallsWithB);
  });

  it("refuses to open a tenant's webhook secret moved into its api key field", async () => {
    const a = await configure('bound-field', { api_key: KEY_A, webhook_secret: WEBHOOK_SECRET_A });
    await storeApiKey(a.row, a.row.webhookSecretCiphertext as string, a.row.webhookSecretKeyId as string);

    const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${a.token}`).expect(500);
    expectRefusedWithoutSecrets(response.body, response.text);
  });

  it('still opens its own untouched row, and never shows the key id in PUT, GET, test or history answers', async () => {
    const tenant = uniqueTenant('bound-own');
    const token = await tokenFor(tenant);
    const put = await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody({ api_key: KEY_A, webhook_secret: WEBHOOK_SECRET_A }))
      .expect(201);
    const test = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(200);
    expect(test.body).toMatchObject({ status: 'connected' });
    const get = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(200);
    const history = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${token}`).expect(200);
    for (const answer of [put, test, get, history]) {
      expect(answer.text).not.toMatch(/key_id|keyId|"k1"/);
      expect(answer.text).not.toContain(KEY_A);
      expect(answer.text).not.toContain(WEBHOOK_SECRET_A);
    }
  });
});
