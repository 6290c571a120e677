import { SignJWT } from 'jose';
import { mintTenantToken } from '@flexsync/auth';
import { RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { StripeTenantConfig } from '@flexsync/persistence';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { In } from 'typeorm';
import { RunningConfigService, startConfigService, TEST_AUTH, tokenFor, validConfigBody } from '../../testing/config-service.harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The one key the emulated Stripe account accepts. */
const ACCOUNT_KEY = 'sk_test_apiSpecAccount0001';

describe('config-service /v1/stripe/config (real Postgres, Stripe emulator)', () => {
  let emulator: RunningStripeEmulator;
  let service: RunningConfigService;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [ACCOUNT_KEY] }] });
    service = await startConfigService({ databaseUrl: stackEnv().DATABASE_URL, stripeBaseUrl: emulator.url });
  });

  afterAll(async () => {
    await service.close();
    await emulator.close();
  });

  async function adminToken(
    tenantId: string,
    environmentId: string,
    extra: { environmentIds?: string[]; subject?: string } = {},
  ): Promise<string> {
    return tokenFor({ tenantId, environmentId, ...extra });
  }

  function rows(tenantIds: string[]): Promise<StripeTenantConfig[]> {
    return service.dataSource.getRepository(StripeTenantConfig).find({ where: { tenantId: In(tenantIds) } });
  }

  it('stores one encrypted row per tenant and environment: N pairs give N rows', async () => {
    const tenants = [uniqueTenant('cfg-n'), uniqueTenant('cfg-n')];
    const pairs = tenants.flatMap((t) => [
      { tenantId: t.tenantId, environmentId: `${t.environmentId}_a` },
      { tenantId: t.tenantId, environmentId: `${t.environmentId}_b` },
    ]);
    const keys: string[] = [];
    for (const pair of pairs) {
      const body = validConfigBody();
      keys.push(body.api_key as string);
      const token = await adminToken(pair.tenantId, pair.environmentId);
      await service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(body).expect(201);
    }
    const again = await adminToken(pairs[0].tenantId, pairs[0].environmentId);
    await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${again}`)
      .send(validConfigBody({ api_key: keys[0], sync_enabled: false }))
      .expect(200);

    const stored = await rows(tenants.map((t) => t.tenantId));
    expect(stored).toHaveLength(pairs.length);
    expect(stored.map((r) => `${r.tenantId}/${r.environmentId}`).sort()).toEqual(
      pairs.map((p) => `${p.tenantId}/${p.environmentId}`).sort(),
    );
    for (const row of stored) {
      expect(row.apiKeyKeyId).toBe('k1');
      expect(row.apiKeyCiphertext).toMatch(/^v2\./);
      for (const key of keys) expect(JSON.stringify(row)).not.toContain(key);
    }
  });

  it("overrides the worker's usage source per environment, keeps it when omitted, and returns to the default on null", async () => {
    const tenant = uniqueTenant('cfg-src');
    const token = await adminToken(tenant.tenantId, tenant.environmentId);
    const put = (extra: Record<string, unknown>, status: number) =>
      service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${token}`)
        .send(validConfigBody({ api_key: ACCOUNT_KEY, ...extra }))
        .expect(status);
    expect((await put({ usage_source: 'flexprice-meter-usage' }, 201)).body).toMatchObject({ usage_source: 'flexprice-meter-usage' });
    expect((await put({}, 200)).body).toMatchObject({ usage_source: 'flexprice-meter-usage' });
    expect((await put({ usage_source: null }, 200)).body).toMatchObject({ usage_source: null });
    const [stored] = await rows([tenant.tenantId]);
    expect(stored.usageSource).toBeNull();
  });

  it('keeps one row when first PUTs for the same tenant and environment race, answering 201 once and 200 to the rest', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-race');
    const token = await adminToken(tenantId, environmentId);
    const body = validConfigBody();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(body)),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(await rows([tenantId])).toHaveLength(1);
    const history = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${token}`).expect(200);
    expect(history.body.entries.map((e: { action: string }) => e.action)).toEqual(['created']);
  });

  it('shows the key masked as sk_test_…wxyz and never returns the key or the webhook secret', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-get');
    const token = await adminToken(tenantId, environmentId);
    const body = validConfigBody({
      api_key: ['sk', 'test', '51AbCdEfGhIjKlMnOpwxyz'].join('_'),
      webhook_secret: 'whsec_0123456789abcdefSECRET',
    });
    const put = await service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(body).expect(201);
    const get = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(200);
    for (const response of [put, get]) {
      expect(response.body).toMatchObject({
        tenant_id: tenantId,
        environment_id: environmentId,
        api_key_masked: 'sk_test_…wxyz',
        api_key_mode: 'test',
        sync_enabled: true,
        aggregation_window_minutes: 60,
        webhook_secret_configured: true,
        last_connection_test: null,
      });
      expect(response.text).not.toContain(['sk', 'test', '51AbCdEfGhIjKlMnOpwxyz'].join('_'));
      expect(response.text).not.toContain('whsec_0123456789abcdefSECRET');
      expect(response.text).not.toContain('ciphertext');
    }
  });

  it('bumps updated_at on every change and leaves it alone on an identical PUT', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-bump');
    const token = await adminToken(tenantId, environmentId);
    const body = validConfigBody();
    const created = await service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(body).expect(201);
    await sleep(5);
    const changed = await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send({ ...body, aggregation_window_minutes: 15 })
      .expect(200);
    expect(Date.parse(changed.body.updated_at)).toBeGreaterThan(Date.parse(created.body.updated_at));
    expect(changed.body.created_at).toBe(created.body.created_at);
    expect(changed.body.aggregation_window_minutes).toBe(15);

    // Two changes back to back still move updated_at strictly forward.
    const quick = await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send({ ...body, aggregation_window_minutes: 30 })
      .expect(200);
    expect(Date.parse(quick.body.updated_at)).toBeGreaterThan(Date.parse(changed.body.updated_at));

    const same = await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send({ ...body, aggregation_window_minutes: 30 })
      .expect(200);
    expect(same.body.updated_at).toBe(quick.body.updated_at);

    const history = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${token}`).expect(200);
    expect(history.body.entries.map((e: { action: string; changed_fields: string[] }) => [e.action, e.changed_fields])).toEqual([
      ['updated', ['aggregation_window_minutes']],
      ['updated', ['aggregation_window_minutes']],
      ['created', ['api_key', 'sync_enabled', 'aggregation_window_minutes']],
    ]);
  });

  it('audits who changed which fields and when, without any secret value', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-audit');
    const token = await adminToken(tenantId, environmentId, { subject: 'alice@tenant' });
    const first = validConfigBody({ sync_enabled: false });
    const second = { ...first, api_key: 'rk_live_0011223344556677abcd', sync_enabled: true };
    const put = (body: Record<string, unknown>) =>
      service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${token}`)
        .send(body)
        .expect((r) => expect([200, 201]).toContain(r.status));
    await put(first);
    await put(second);
    await put({ ...second, webhook_secret: 'whsec_first_secret_value' });
    await put({ ...second, webhook_secret: 'whsec_second_secret_value' });
    await put(second);
    await put({ ...second, webhook_secret: null });
    await service.http.delete('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(204);

    const history = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${token}`).expect(200);
    const entries = history.body.entries as {
      action: string;
      actor: string;
      changed_fields: string[];
      detail: Record<string, unknown>;
      created_at: string;
    }[];
    expect(entries.map((e) => [e.action, e.changed_fields, e.actor])).toEqual([
      ['deleted', ['api_key', 'sync_enabled', 'aggregation_window_minutes'], 'alice@tenant'],
      ['updated', ['webhook_secret'], 'alice@tenant'],
      ['updated', ['webhook_secret'], 'alice@tenant'],
      ['updated', ['webhook_secret'], 'alice@tenant'],
      ['updated', ['api_key', 'sync_enabled'], 'alice@tenant'],
      ['created', ['api_key', 'sync_enabled', 'aggregation_window_minutes'], 'alice@tenant'],
    ]);
    expect(entries.map((e) => e.detail.webhook_secret).slice(1, 4)).toEqual(['removed', 'replaced', 'set']);
    expect(entries[4].detail).toMatchObject({ api_key_masked: { to: 'rk_live_…abcd' }, sync_enabled: { from: false, to: true } });
    for (const e of entries) expect(Number.isNaN(Date.parse(e.created_at))).toBe(false);
    for (const secret of [first.api_key as string, second.api_key, 'whsec_first_secret_value', 'whsec_second_secret_value']) {
      expect(history.text).not.toContain(secret);
    }
  });

  it('deletes the config, after which GET, DELETE and the connection test answer 404', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-del');
    const token = await adminToken(tenantId, environmentId);
    await service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(validConfigBody()).expect(201);
    await service.http.delete('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(204);
    expect(await rows([tenantId])).toHaveLength(0);
    for (const request of [
      service.http.get('/v1/stripe/config'),
      service.http.delete('/v1/stripe/config'),
      service.http.post('/v1/stripe/config/test'),
    ]) {
      const response = await request.set('Authorization', `Bearer ${token}`).expect(404);
      expect(response.body).toEqual({ code: 'CONFIG.NOT_FOUND', message: expect.any(String) });
    }
  });

  it('connects to Stripe with the stored key, answers 200 and records the outcome without bumping updated_at', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-test');
    const token = await adminToken(tenantId, environmentId);
    const saved = await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody({ api_key: ACCOUNT_KEY }))
      .expect(201);
    const tested = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(200);
    expect(tested.body).toEqual({
      status: 'connected',
      livemode: false,
      stripe_account_id: expect.stringMatching(/^acct_/),
      tested_at: expect.any(String),
    });
    const row = await service.dataSource.getRepository(StripeTenantConfig).findOneByOrFail({ tenantId, environmentId });
    expect({ account: row.stripeAccountId, livemode: row.livemode }).toEqual({ account: tested.body.stripe_account_id, livemode: false });

    const get = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(200);
    expect(get.body.last_connection_test).toEqual({
      status: 'connected',
      tested_at: tested.body.tested_at,
      message: null,
      livemode: false,
      stripe_account_id: tested.body.stripe_account_id,
    });
    expect(get.body.updated_at).toBe(saved.body.updated_at);

    const history = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${token}`).expect(200);
    expect(history.body.entries[0]).toMatchObject({
      action: 'tested',
      changed_fields: [],
      detail: { result: 'connected', livemode: false, stripe_account_id: tested.body.stripe_account_id },
    });
  });

  it('forgets the last connection test when the key changes', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-retest');
    const token = await adminToken(tenantId, environmentId);
    await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody({ api_key: ACCOUNT_KEY }))
      .expect(201);
    await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(200);
    const replaced = await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody())
      .expect(200);
    expect(replaced.body.last_connection_test).toBeNull();
  });

  it('pages the history newest first', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-page');
    const token = await adminToken(tenantId, environmentId);
    for (const minutes of [60, 30, 15, 5, 1]) {
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${token}`)
        .send(validConfigBody({ api_key: 'sk_test_samekey1234', aggregation_window_minutes: minutes }));
    }
    const first = await service.http.get('/v1/stripe/config/history?limit=2').set('Authorization', `Bearer ${token}`).expect(200);
    expect(first.body.entries).toHaveLength(2);
    const second = await service.http
      .get(`/v1/stripe/config/history?limit=2&before=${first.body.next_before}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const third = await service.http
      .get(`/v1/stripe/config/history?limit=2&before=${second.body.next_before}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const all = [...first.body.entries, ...second.body.entries, ...third.body.entries];
    expect(all.map((e: { detail: { aggregation_window_minutes: unknown } }) => e.detail.aggregation_window_minutes)).toEqual([
      { from: 5, to: 1 },
      { from: 15, to: 5 },
      { from: 30, to: 15 },
      { from: 60, to: 30 },
      60,
    ]);
    expect(third.body.next_before).toBeNull();
  });

  describe('tenant-admin auth', () => {
    it('answers 401 without a token, with a malformed one, one signed with another secret, or an expired one', async () => {
      const { tenantId, environmentId } = uniqueTenant('auth');
      const foreign = await mintTenantToken(
        { ...TEST_AUTH, jwtSecret: 'someone-elses-secret-0123456789abcdef' },
        { tenantId, environmentId },
      );
      const expired = await new SignJWT({ tenant_id: tenantId, environment_id: environmentId, roles: ['tenant_admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('admin')
        .setIssuer(TEST_AUTH.issuer)
        .setAudience(TEST_AUTH.audience)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(new TextEncoder().encode(TEST_AUTH.jwtSecret));
      const cases: [string | undefined, string][] = [
        [undefined, 'AUTH.MISSING_TOKEN'],
        ['Bearer', 'AUTH.INVALID_TOKEN'],
        ['Bearer not.a.jwt', 'AUTH.INVALID_TOKEN'],
        [`Basic ${Buffer.from('a:b').toString('base64')}`, 'AUTH.INVALID_TOKEN'],
        [`Bearer ${foreign}`, 'AUTH.INVALID_TOKEN'],
        [`Bearer ${expired}`, 'AUTH.INVALID_TOKEN'],
      ];
      for (const [authorization, code] of cases) {
        for (const request of [
          service.http.get('/v1/stripe/config'),
          service.http.put('/v1/stripe/config').send(validConfigBody()),
          service.http.delete('/v1/stripe/config'),
          service.http.post('/v1/stripe/config/test'),
          service.http.get('/v1/stripe/config/history'),
        ]) {
          const response = await (authorization ? request.set('Authorization', authorization) : request).expect(401);
          expect(response.body.code).toBe(code);
        }
      }
      expect(await rows([tenantId])).toHaveLength(0);
    });

    it('answers 403 to a valid token without the tenant_admin role, and changes nothing', async () => {
      const { tenantId, environmentId } = uniqueTenant('auth-role');
      const viewer = await tokenFor({ tenantId, environmentId, roles: ['viewer'] });
      const response = await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${viewer}`)
        .send(validConfigBody())
        .expect(403);
      expect(response.body.code).toBe('AUTH.FORBIDDEN');
      expect(await rows([tenantId])).toHaveLength(0);
    });

    it('acts on an environment named in X-Environment-ID only when the token allows it', async () => {
      const { tenantId, environmentId } = uniqueTenant('auth-env');
      const other = `${environmentId}_other`;
      const token = await tokenFor({ tenantId, environmentId, environmentIds: [other] });
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Environment-ID', other)
        .send(validConfigBody())
        .expect(201);
      const stored = await rows([tenantId]);
      expect(stored.map((r) => r.environmentId)).toEqual([other]);
      await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(404);
      const denied = await service.http
        .get('/v1/stripe/config')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Environment-ID', `${environmentId}_third`)
        .expect(403);
      expect(denied.body.code).toBe('AUTH.ENVIRONMENT_NOT_ALLOWED');
    });
  });

  describe('tenancy', () => {
    it("never lets tenant A's token read or change tenant B's config", async () => {
      const a = uniqueTenant('tenant-a');
      const b = uniqueTenant('tenant-b');
      const tokenA = await tokenFor(a);
      const tokenB = await tokenFor(b);
      const bKey = 'sk_test_tenantBonlyKey9876';
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${tokenB}`)
        .send(validConfigBody({ api_key: bKey, webhook_secret: 'whsec_tenant_b_secret' }))
        .expect(201);
      const [bBefore] = await rows([b.tenantId]);

      const read = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${tokenA}`).expect(404);
      expect(read.text).not.toContain(b.tenantId);
      const viaHeader = await service.http
        .get('/v1/stripe/config')
        .set('Authorization', `Bearer ${tokenA}`)
        .set('X-Environment-ID', b.environmentId)
        .expect(403);
      expect(viaHeader.text).not.toContain('9876');
      await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${tokenA}`).expect(404);
      await service.http.delete('/v1/stripe/config').set('Authorization', `Bearer ${tokenA}`).expect(404);
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${tokenA}`)
        .set('X-Environment-ID', b.environmentId)
        .send(validConfigBody())
        .expect(403);
      // A's own PUT creates A's row and leaves B's untouched.
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${tokenA}`)
        .send(validConfigBody({ sync_enabled: false }))
        .expect(201);
      await service.http.delete('/v1/stripe/config').set('Authorization', `Bearer ${tokenA}`).expect(204);
      const historyA = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${tokenA}`).expect(200);
      expect(historyA.body.entries.map((e: { action: string }) => e.action)).toEqual(['deleted', 'created']);

      const [bAfter] = await rows([b.tenantId]);
      expect(bAfter).toEqual(bBefore);
      const readB = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${tokenB}`).expect(200);
      expect(readB.body).toMatchObject({ tenant_id: b.tenantId, api_key_masked: 'sk_test_…9876', webhook_secret_configured: true });
      const historyB = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${tokenB}`).expect(200);
      expect(historyB.body.entries.map((e: { action: string }) => e.action)).toEqual(['created']);
    });

    it('keeps environments of one tenant apart', async () => {
      const { tenantId, environmentId } = uniqueTenant('tenant-envs');
      const prod = await tokenFor({ tenantId, environmentId: `${environmentId}_prod` });
      const dev = await tokenFor({ tenantId, environmentId: `${environmentId}_dev` });
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${prod}`)
        .send(validConfigBody({ api_key: 'sk_live_prodkey0000live' }))
        .expect(201);
      await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${dev}`).expect(404);
      await service.http.delete('/v1/stripe/config').set('Authorization', `Bearer ${dev}`).expect(404);
      const stillThere = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${prod}`).expect(200);
      expect(stillThere.body.api_key_mode).toBe('live');
    });
  });

  it('reports ready when Postgres answers', async () => {
    const response = await service.http.get('/health/ready').expect(200);
    expect(response.body).toMatchObject({ status: 'ok' });
  });

  it('publishes an OpenAPI document for the config API', async () => {
    const response = await service.http.get('/docs-json').expect(200);
    const paths = response.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/v1/stripe/config']).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(paths['/v1/stripe/config/test'])).toEqual(['post']);
    expect(Object.keys(paths['/v1/stripe/config/history'])).toEqual(['get']);
    expect(response.body.components.schemas.PutStripeConfigDto.required.sort()).toEqual([
      'aggregation_window_minutes',
      'api_key',
      'sync_enabled',
    ]);
    expect(response.body.components.schemas.ErrorView).toBeDefined();
    expect(paths['/v1/stripe/config'].put).toMatchObject({ security: [{ bearer: [] }] });
  });

  it('counts changes and connection tests in /metrics', async () => {
    const { tenantId, environmentId } = uniqueTenant('cfg-metrics');
    const token = await tokenFor({ tenantId, environmentId });
    await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody({ api_key: ACCOUNT_KEY }))
      .expect(201);
    await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(200);
    const metrics = await service.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/stripe_config_changes_total\{[^}]*action="created"[^}]*\} \d+/);
    expect(metrics.text).toMatch(/stripe_connection_tests_total\{[^}]*result="connected"[^}]*\} \d+/);
  });
});
