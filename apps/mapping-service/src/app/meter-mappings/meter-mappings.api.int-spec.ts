import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { mintTenantToken } from '@flexsync/auth';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { dataSourceOptions } from '@flexsync/persistence';
import { loadConfig } from '@flexsync/runtime';
import { maskSecret } from '@flexsync/stripe-client';
import { type RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { MappingServiceConfig } from '../mapping-service.config';
import { createMappingServiceHttp } from '../mapping-service.http';

const env = stackEnv();
const signing = { jwtSecret: `mapping-int-spec-${randomUUID()}`, issuer: 'flexsync-tests', audience: 'flexsync-api' };
const BODY_LIMIT = 16 * 1024;
const keyring = { keys: generateKeyringEntry('k1'), currentKeyId: 'k1' };

/** Seeds a tenant's Stripe config as config-service stores it: the API key sealed to tenant|environment|api_key. */
async function seedStripeConfig(db: DataSource, tenant: TestTenant, apiKey: string): Promise<void> {
  const sealed = new SecretBox(EncryptionKeyring.parse(keyring.keys, keyring.currentKeyId)).seal(apiKey, { ...tenant, field: 'api_key' });
  await db.query(
    `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled)
     VALUES ($1, $2, $3, $4, $5, true)`,
    [tenant.tenantId, tenant.environmentId, sealed.ciphertext, sealed.keyId, maskSecret(apiKey)],
  );
}

describe('meter mappings API (real Postgres)', () => {
  let app: INestApplication;
  let emulator: RunningStripeEmulator;
  let db: DataSource;
  const tenant = uniqueTenant('meters');
  const other = uniqueTenant('meters_other');
  const unconfigured = uniqueTenant('meters_unconfigured');
  const tokens = new Map<TestTenant, string>();
  const tenantKey = `sk_test_meters${randomUUID().replaceAll('-', '')}`;
  const otherKey = `sk_test_metersother${randomUUID().replaceAll('-', '')}`;

  function api(as: TestTenant = tenant): {
    post: (path: string) => request.Test;
    get: (path: string) => request.Test;
    patch: (path: string) => request.Test;
    delete: (path: string) => request.Test;
  } {
    const auth = (test: request.Test): request.Test => test.set('Authorization', `Bearer ${tokens.get(as) ?? ''}`);
    const server = app.getHttpServer();
    return {
      post: (path) => auth(request(server).post(path)),
      get: (path) => auth(request(server).get(path)),
      patch: (path) => auth(request(server).patch(path)),
      delete: (path) => auth(request(server).delete(path)),
    };
  }

  const PATH = '/v1/stripe/meters/mapping';
  const valid = { meter_id: 'meter_storage', provider_type: 'stripe', provider_meter_id: 'meter.storage', sync_enabled: true };

  beforeAll(async () => {
    emulator = await startStripeEmulator({
      accounts: [
        {
          apiKeys: [tenantKey],
          meters: [
            { id: 'mtr_storage', eventName: 'meter.storage' },
            { eventName: 'meter.other' },
            { eventName: 'gb.hours' },
            { eventName: 'gb.hours.v2' },
            { eventName: 'seats.peak', formula: 'last' },
            { eventName: 'calls.count', formula: 'count' },
            { id: 'mtr_retired', eventName: 'meter.retired', status: 'inactive' },
          ],
        },
        { apiKeys: [otherKey], meters: [{ eventName: 'other.storage' }] },
      ],
    });
    db = await new DataSource(dataSourceOptions(env.DATABASE_URL)).initialize();
    await seedStripeConfig(db, tenant, tenantKey);
    await seedStripeConfig(db, other, otherKey);
    const config = loadConfig('mapping-service', MappingServiceConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      FLEXSYNC_ENCRYPTION_KEYS: keyring.keys,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyring.currentKeyId,
      STRIPE_API_BASE_URL: emulator.url,
      AUTH_JWT_SECRET: signing.jwtSecret,
      AUTH_JWT_ISSUER: signing.issuer,
      AUTH_JWT_AUDIENCE: signing.audience,
      CUSTOMER_EVENTS_CONSUMER_ENABLED: 'false',
      HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      LOG_LEVEL: 'warn',
    });
    app = await createMappingServiceHttp(config);
    await app.init();
    for (const t of [tenant, other, unconfigured])
      tokens.set(t, await mintTenantToken(signing, { tenantId: t.tenantId, environmentId: t.environmentId }));
  });

  afterAll(async () => {
    await app?.close();
    await db?.destroy();
    await emulator?.close();
  });

  it('creates the playbook mapping and returns it with defaults filled in', async () => {
    const response = await api().post(PATH).send(valid).expect(201);
    expect(response.body).toMatchObject({
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      meter_id: 'meter_storage',
      provider_type: 'stripe',
      provider_meter_id: 'meter.storage',
      sync_enabled: true,
      value_precision: 0,
    });
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects a second mapping for the same meter with 409 and a clear message', async () => {
    const response = await api()
      .post(PATH)
      .send({ ...valid, provider_meter_id: 'meter.other' })
      .expect(409);
    expect(response.body).toEqual({
      code: 'MAPPING.DUPLICATE',
      message: 'meter "meter_storage" is already mapped in this environment; update or delete that mapping instead',
      details: { meter_id: 'meter_storage' },
    });
  });

  it('allows the same meter_id in another tenant, which cannot see the first tenant’s mapping', async () => {
    await api(other)
      .post(PATH)
      .send({ ...valid, provider_meter_id: 'other.storage' })
      .expect(201);
    const mine = await api().get(`${PATH}/meter_storage`).expect(200);
    const theirs = await api(other).get(`${PATH}/meter_storage`).expect(200);
    expect(mine.body.provider_meter_id).toBe('meter.storage');
    expect(theirs.body.provider_meter_id).toBe('other.storage');
    await api(other).delete(`${PATH}/meter_only_mine`).expect(404);
  });

  it('accepts value_precision between 0 and 12 and sync_enabled false', async () => {
    const response = await api()
      .post(PATH)
      .send({ meter_id: 'meter_gb', provider_type: 'stripe', provider_meter_id: 'gb.hours', sync_enabled: false, value_precision: 12 })
      .expect(201);
    expect(response.body).toMatchObject({ sync_enabled: false, value_precision: 12 });
  });

  it('lists the tenant’s mappings ordered by meter_id, paged, and filtered by sync_enabled', async () => {
    const all = await api().get(PATH).expect(200);
    expect(all.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
    expect(all.body.data.map((m: { meter_id: string }) => m.meter_id)).toEqual(['meter_gb', 'meter_storage']);
    const page = await api().get(`${PATH}?limit=1&offset=1`).expect(200);
    expect(page.body.data.map((m: { meter_id: string }) => m.meter_id)).toEqual(['meter_storage']);
    const disabled = await api().get(`${PATH}?sync_enabled=false`).expect(200);
    expect(disabled.body.data.map((m: { meter_id: string }) => m.meter_id)).toEqual(['meter_gb']);
    await api().get(`${PATH}?limit=0`).expect(400);
    await api().get(`${PATH}?limit=abc`).expect(400);
    await api().get(`${PATH}?tenant_id=${other.tenantId}`).expect(400);
  });

  it('updates provider_meter_id, sync_enabled and value_precision, and refuses an empty update', async () => {
    const updated = await api()
      .patch(`${PATH}/meter_gb`)
      .send({ provider_meter_id: 'gb.hours.v2', sync_enabled: true, value_precision: 3 })
      .expect(200);
    expect(updated.body).toMatchObject({ meter_id: 'meter_gb', provider_meter_id: 'gb.hours.v2', sync_enabled: true, value_precision: 3 });
    const empty = await api().patch(`${PATH}/meter_gb`).send({}).expect(400);
    expect(empty.body.code).toBe('REQUEST.INVALID');
    const identity = await api().patch(`${PATH}/meter_gb`).send({ meter_id: 'renamed' }).expect(400);
    expect(identity.body.details).toEqual([{ field: 'meter_id', reason: 'property meter_id should not exist' }]);
    await api().patch(`${PATH}/meter_missing`).send({ sync_enabled: false }).expect(404);
  });

  it('deletes a mapping; afterwards it is gone and can be created again', async () => {
    await api().delete(`${PATH}/meter_gb`).expect(204);
    await api().get(`${PATH}/meter_gb`).expect(404);
    await api().delete(`${PATH}/meter_gb`).expect(404);
    await api().post(PATH).send({ meter_id: 'meter_gb', provider_type: 'stripe', provider_meter_id: 'gb.hours' }).expect(201);
  });

  it('answers 401 without a token and never touches data', async () => {
    await request(app.getHttpServer())
      .post(PATH)
      .send({ ...valid, meter_id: 'meter_noauth' })
      .expect(401);
    await request(app.getHttpServer()).get(PATH).expect(401);
    await api().get(`${PATH}/meter_noauth`).expect(404);
  });

  const huge = 'm'.repeat(10_000);
  const cases: { name: string; body: unknown; raw?: string; contentType?: string; field: string; code?: string }[] = [
    { name: 'missing meter_id', body: { provider_type: 'stripe', provider_meter_id: 'x' }, field: 'meter_id' },
    { name: 'missing provider_type', body: { meter_id: 'a', provider_meter_id: 'x' }, field: 'provider_type' },
    { name: 'missing provider_meter_id', body: { meter_id: 'a', provider_type: 'stripe' }, field: 'provider_meter_id' },
    { name: 'an unknown provider_type', body: { ...valid, meter_id: 'a', provider_type: 'chargebee' }, field: 'provider_type' },
    { name: 'a numeric meter_id', body: { ...valid, meter_id: 42 }, field: 'meter_id' },
    { name: 'an empty meter_id', body: { ...valid, meter_id: '' }, field: 'meter_id' },
    { name: 'a meter_id with spaces', body: { ...valid, meter_id: 'meter storage' }, field: 'meter_id' },
    { name: 'a meter_id with a control character', body: { ...valid, meter_id: 'meter\u0000x' }, field: 'meter_id' },
    { name: 'a huge meter_id', body: { ...valid, meter_id: huge }, field: 'meter_id' },
    {
      name: 'a provider_meter_id over 100 characters',
      body: { ...valid, meter_id: 'a', provider_meter_id: 'e'.repeat(101) },
      field: 'provider_meter_id',
    },
    { name: 'a string sync_enabled', body: { ...valid, meter_id: 'a', sync_enabled: 'yes' }, field: 'sync_enabled' },
    { name: 'a null sync_enabled', body: { ...valid, meter_id: 'a', sync_enabled: null }, field: 'sync_enabled' },
    { name: 'a fractional value_precision', body: { ...valid, meter_id: 'a', value_precision: 1.5 }, field: 'value_precision' },
    { name: 'a value_precision above 12', body: { ...valid, meter_id: 'a', value_precision: 13 }, field: 'value_precision' },
    { name: 'a negative value_precision', body: { ...valid, meter_id: 'a', value_precision: -1 }, field: 'value_precision' },
    { name: 'a string value_precision', body: { ...valid, meter_id: 'a', value_precision: '3' }, field: 'value_precision' },
    { name: 'an unknown field', body: { ...valid, meter_id: 'a', tenant_id: 'someone_else' }, field: 'tenant_id' },
    { name: 'a nested object for meter_id', body: { ...valid, meter_id: { $ne: null } }, field: 'meter_id' },
    { name: 'malformed JSON', body: undefined, raw: '{"meter_id": "a", "provider_type": ', field: 'body', code: 'REQUEST.MALFORMED_JSON' },
    {
      name: 'an oversized body',
      body: undefined,
      raw: JSON.stringify({ ...valid, padding: 'p'.repeat(BODY_LIMIT) }),
      field: 'body',
      code: 'REQUEST.BODY_TOO_LARGE',
    },
    { name: 'a JSON array', body: undefined, raw: JSON.stringify([valid]), field: 'meter_id' },
    { name: 'a JSON null', body: undefined, raw: 'null', field: 'body', code: 'REQUEST.MALFORMED_JSON' },
    { name: 'no body at all', body: undefined, raw: '', contentType: 'text/plain', field: 'meter_id' },
  ];

  it.each(cases)('answers 400 with field reasons (never 500) for $name', async ({ body, raw, contentType, field, code }) => {
    const call = api()
      .post(PATH)
      .set('Content-Type', contentType ?? 'application/json');
    const response = await (raw !== undefined ? call.send(raw) : call.send(body as object)).expect(400);
    expect(response.body.code).toBe(code ?? 'REQUEST.INVALID');
    expect((response.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
    expect(JSON.stringify(response.body)).not.toContain(huge);
  });

  it('refuses a meter aggregating with last with 400 naming the meter and its formula, and stores nothing', async () => {
    const response = await api()
      .post(PATH)
      .send({ meter_id: 'meter_seats', provider_type: 'stripe', provider_meter_id: 'seats.peak' })
      .expect(400);
    expect(response.body.code).toBe('REQUEST.INVALID');
    expect(response.body.message).toMatch(/^provider_meter_id 'seats.peak' cannot receive usage: meter formula last is not sum: Stripe meter mtr_\w+ \(event_name 'seats.peak'\)/);
    expect(response.body.details).toEqual([{ field: 'provider_meter_id', reason: expect.stringMatching(/^meter formula last is not sum/) }]);
    await api().get(`${PATH}/meter_seats`).expect(404);
  });

  it('refuses a count meter, an inactive meter (by id) and a missing meter with 400 and the reason', async () => {
    const refusal = async (providerMeterId: string): Promise<string> =>
      (await api().post(PATH).send({ meter_id: 'meter_refused', provider_type: 'stripe', provider_meter_id: providerMeterId }).expect(400))
        .body.details[0].reason as string;
    expect(await refusal('calls.count')).toMatch(/^meter formula count is not sum: Stripe meter mtr_\w+ \(event_name 'calls.count'\)/);
    expect(await refusal('mtr_retired')).toBe("meter inactive: Stripe meter mtr_retired (event_name 'meter.retired') is inactive");
    expect(await refusal('meter.nowhere')).toBe("meter not found: no Stripe meter has id or event_name 'meter.nowhere'");
    await api().get(`${PATH}/meter_refused`).expect(404);
  });

  it('accepts a Stripe meter id as provider_meter_id', async () => {
    await api().post(PATH).send({ meter_id: 'meter_by_id', provider_type: 'stripe', provider_meter_id: 'mtr_storage' }).expect(201);
    await api().delete(`${PATH}/meter_by_id`).expect(204);
  });

  it('checks the meter in the tenant’s own Stripe account: another account’s meter is not found', async () => {
    const response = await api(other)
      .post(PATH)
      .send({ meter_id: 'meter_cross', provider_type: 'stripe', provider_meter_id: 'meter.storage' })
      .expect(400);
    expect(response.body.details[0].reason).toBe("meter not found: no Stripe meter has id or event_name 'meter.storage'");
  });

  it('refuses a mapping change to an unusable meter with 400 and keeps the mapping as it was', async () => {
    await api().post(PATH).send({ meter_id: 'meter_patch', provider_type: 'stripe', provider_meter_id: 'gb.hours' }).expect(201);
    const response = await api().patch(`${PATH}/meter_patch`).send({ provider_meter_id: 'seats.peak' }).expect(400);
    expect(response.body.details[0].reason).toMatch(/^meter formula last is not sum/);
    expect((await api().get(`${PATH}/meter_patch`).expect(200)).body.provider_meter_id).toBe('gb.hours');
    await api().delete(`${PATH}/meter_patch`).expect(204);
  });

  it('answers 404 (not 500) when the tenant has no Stripe config yet, saying what to do', async () => {
    const response = await api(unconfigured).post(PATH).send(valid).expect(404);
    expect(response.body.code).toBe('CONFIG.NOT_FOUND');
    expect(response.body.message).toMatch(/PUT \/v1\/stripe\/config/);
  });

  it('answers 401 STRIPE.AUTH_FAILED, without the key, when Stripe refuses the tenant’s key', async () => {
    const revoked = uniqueTenant('meters_revoked');
    const revokedKey = `sk_test_revoked${randomUUID().replaceAll('-', '')}`;
    await seedStripeConfig(db, revoked, revokedKey);
    tokens.set(revoked, await mintTenantToken(signing, { tenantId: revoked.tenantId, environmentId: revoked.environmentId }));
    const response = await api(revoked).post(PATH).send(valid).expect(401);
    expect(response.body.code).toBe('STRIPE.AUTH_FAILED');
    expect(JSON.stringify(response.body)).not.toContain(revokedKey);
  });

  it('never stores anything for rejected requests', async () => {
    const all = await api().get(`${PATH}?limit=200`).expect(200);
    expect(all.body.data.map((m: { meter_id: string }) => m.meter_id).sort()).toEqual(['meter_gb', 'meter_storage']);
  });
});
