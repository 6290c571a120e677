import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { mintTenantToken } from '@flexsync/auth';
import { FLEXPRICE_ID_RULE, loadConfig } from '@flexsync/runtime';
import { FLEXPRICE_CUSTOMER_ID_SAMPLES, stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { MappingServiceConfig } from '../mapping-service.config';
import { createMappingServiceHttp } from '../mapping-service.http';
import { generateKeyringEntry } from '@flexsync/crypto';

const env = stackEnv();
const signing = { jwtSecret: `mapping-int-spec-${randomUUID()}`, issuer: 'flexsync-tests', audience: 'flexsync-api' };
const PATH = '/v1/stripe/customers/mapping';

interface MappingBody {
  id: string;
  customer_id: string | null;
  provider_customer_id: string;
  status: string;
  source: string;
  unmatched_reason: string | null;
}

describe('customer mappings API (real Postgres)', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  const tenant = uniqueTenant('customers');
  const other = uniqueTenant('customers_other');
  const ruled = uniqueTenant('customers_id_rule');
  const tokens = new Map<TestTenant, string>();

  const as = (t: TestTenant) => ({
    post: () =>
      request(app.getHttpServer())
        .post(PATH)
        .set('Authorization', `Bearer ${tokens.get(t) ?? ''}`),
    get: (suffix = '') =>
      request(app.getHttpServer())
        .get(`${PATH}${suffix}`)
        .set('Authorization', `Bearer ${tokens.get(t) ?? ''}`),
    delete: (suffix: string) =>
      request(app.getHttpServer())
        .delete(`${PATH}${suffix}`)
        .set('Authorization', `Bearer ${tokens.get(t) ?? ''}`),
  });

  async function seedUnmatched(t: TestTenant, providerCustomerId: string): Promise<void> {
    await dataSource.query(
      `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id, status, source, last_event_created, metadata)
       VALUES ($1, $2, NULL, 'stripe', $3, 'unmatched', 'webhook', 1000, $4)`,
      [
        t.tenantId,
        t.environmentId,
        providerCustomerId,
        JSON.stringify({
          last_event_id: 'evt_seed',
          last_event_type: 'customer.created',
          unmatched_reason: 'the Stripe customer has no flexprice_customer_id metadata',
        }),
      ],
    );
  }

  beforeAll(async () => {
    const config = loadConfig('mapping-service', MappingServiceConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      FLEXSYNC_ENCRYPTION_KEYS: generateKeyringEntry('k1'),
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
      AUTH_JWT_SECRET: signing.jwtSecret,
      AUTH_JWT_ISSUER: signing.issuer,
      AUTH_JWT_AUDIENCE: signing.audience,
      CUSTOMER_EVENTS_CONSUMER_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    });
    app = await createMappingServiceHttp(config);
    await app.init();
    dataSource = app.get(DataSource);
    for (const t of [tenant, other, ruled])
      tokens.set(t, await mintTenantToken(signing, { tenantId: t.tenantId, environmentId: t.environmentId }));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('creates a manual mapping (the playbook’s client_123 → cus_test123)', async () => {
    const response = await as(tenant)
      .post()
      .send({ customer_id: 'client_123', provider_type: 'stripe', provider_customer_id: 'cus_test123' })
      .expect(201);
    expect(response.body).toMatchObject({
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      customer_id: 'client_123',
      provider_type: 'stripe',
      provider_customer_id: 'cus_test123',
      status: 'mapped',
      source: 'manual',
      unmatched_reason: null,
      last_event_created: null,
    });
  });

  it('rejects a second Stripe customer for the same FlexPrice customer, and a second FlexPrice customer for the same Stripe customer, with 409', async () => {
    const sameCustomer = await as(tenant)
      .post()
      .send({ customer_id: 'client_123', provider_type: 'stripe', provider_customer_id: 'cus_other' })
      .expect(409);
    expect(sameCustomer.body).toMatchObject({
      code: 'MAPPING.DUPLICATE',
      message: 'FlexPrice customer client_123 is already mapped to Stripe customer cus_test123',
    });
    const sameStripe = await as(tenant)
      .post()
      .send({ customer_id: 'client_999', provider_type: 'stripe', provider_customer_id: 'cus_test123' })
      .expect(409);
    expect(sameStripe.body).toMatchObject({
      code: 'MAPPING.DUPLICATE',
      message: 'Stripe customer cus_test123 is already mapped to FlexPrice customer client_123',
    });
  });

  it('keeps tenants apart: the same pair maps independently in another tenant, which sees only its own rows', async () => {
    await as(other).post().send({ customer_id: 'client_123', provider_type: 'stripe', provider_customer_id: 'cus_test123' }).expect(201);
    const theirs = await as(other).get().expect(200);
    expect(theirs.body.total).toBe(1);
    const mine = await as(tenant).get('?provider_customer_id=cus_test123').expect(200);
    await as(other)
      .get(`/${(mine.body.data[0] as MappingBody).id}`)
      .expect(404);
    await as(other)
      .delete(`/${(mine.body.data[0] as MappingBody).id}`)
      .expect(404);
  });

  it('lists unmatched Stripe customers with their reason, and maps one by hand in place (200)', async () => {
    await seedUnmatched(tenant, 'cus_unmatched1');
    const unmatched = await as(tenant).get('?status=unmatched').expect(200);
    expect(unmatched.body.data).toHaveLength(1);
    expect(unmatched.body.data[0]).toMatchObject({
      provider_customer_id: 'cus_unmatched1',
      customer_id: null,
      status: 'unmatched',
      unmatched_reason: 'the Stripe customer has no flexprice_customer_id metadata',
      last_stripe_event_id: 'evt_seed',
    });
    const resolved = await as(tenant)
      .post()
      .send({ customer_id: 'client_456', provider_type: 'stripe', provider_customer_id: 'cus_unmatched1' })
      .expect(200);
    expect(resolved.body).toMatchObject({
      id: unmatched.body.data[0].id,
      customer_id: 'client_456',
      status: 'mapped',
      source: 'manual',
      unmatched_reason: null,
    });
  });

  it('filters by customer_id or provider_customer_id and pages the list', async () => {
    for (let i = 0; i < 5; i += 1) {
      await as(tenant)
        .post()
        .send({ customer_id: `client_page_${i}`, provider_type: 'stripe', provider_customer_id: `cus_page_${i}` })
        .expect(201);
    }
    const byCustomer = await as(tenant).get('?customer_id=client_page_3').expect(200);
    expect(byCustomer.body.data.map((m: MappingBody) => m.provider_customer_id)).toEqual(['cus_page_3']);
    const byStripe = await as(tenant).get('?provider_customer_id=cus_page_1').expect(200);
    expect(byStripe.body.data.map((m: MappingBody) => m.customer_id)).toEqual(['client_page_1']);
    const first = await as(tenant).get('?limit=3&offset=0').expect(200);
    const second = await as(tenant).get('?limit=3&offset=3').expect(200);
    const third = await as(tenant).get('?limit=3&offset=6').expect(200);
    expect(first.body.total).toBe(7);
    const ids = [...first.body.data, ...second.body.data, ...third.body.data].map((m: MappingBody) => m.id);
    expect(new Set(ids).size).toBe(7);
    await as(tenant).get('?status=gone').expect(400);
    await as(tenant).get('?limit=201').expect(400);
  });

  it('deletes a mapping by id (204), after which both customers can be mapped again', async () => {
    const [mapping] = (await as(tenant).get('?customer_id=client_page_0').expect(200)).body.data as MappingBody[];
    await as(tenant).delete(`/${mapping.id}`).expect(204);
    await as(tenant).get(`/${mapping.id}`).expect(404);
    await as(tenant).delete(`/${mapping.id}`).expect(404);
    await as(tenant).delete('/not-a-uuid').expect(404);
    await as(tenant).post().send({ customer_id: 'client_page_0', provider_type: 'stripe', provider_customer_id: 'cus_page_0' }).expect(201);
  });

  it.each([
    ['missing customer_id', { provider_type: 'stripe', provider_customer_id: 'cus_1' }, 'customer_id'],
    ['an unknown provider_type', { customer_id: 'c', provider_type: 'paddle', provider_customer_id: 'cus_1' }, 'provider_type'],
    ['a numeric provider_customer_id', { customer_id: 'c', provider_type: 'stripe', provider_customer_id: 7 }, 'provider_customer_id'],
    ['a huge customer_id', { customer_id: 'c'.repeat(5000), provider_type: 'stripe', provider_customer_id: 'cus_1' }, 'customer_id'],
    ['an unknown field', { customer_id: 'c', provider_type: 'stripe', provider_customer_id: 'cus_1', status: 'mapped' }, 'status'],
  ])('answers 400 with field reasons for %s', async (_label, body, field) => {
    const response = await as(tenant).post().send(body).expect(400);
    expect(response.body.code).toBe('REQUEST.INVALID');
    expect((response.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
  });

  it.each(FLEXPRICE_CUSTOMER_ID_SAMPLES)(
    'maps customer $id exactly when the sync side would accept it ($valid), else 400 naming customer_id',
    async ({ id, valid }) => {
      const providerCustomerId = `cus_rule_${randomUUID().slice(0, 8)}`;
      const response = await as(ruled).post().send({ customer_id: id, provider_type: 'stripe', provider_customer_id: providerCustomerId });
      expect(response.status).toBe(valid ? 201 : 400);
      if (!valid) {
        expect(response.body.details).toContainEqual({ field: 'customer_id', reason: `customer_id must be ${FLEXPRICE_ID_RULE}` });
      }
    },
  );

  it('answers 401 without a token', async () => {
    await request(app.getHttpServer()).get(PATH).expect(401);
    await request(app.getHttpServer())
      .post(PATH)
      .send({ customer_id: 'c', provider_type: 'stripe', provider_customer_id: 'cus_x' })
      .expect(401);
  });
});
