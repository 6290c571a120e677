import { StripeTenantConfig } from '@flexsync/persistence';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { RunningConfigService, startConfigService, tokenFor } from '../../testing/config-service.harness';

const BODY_LIMIT = 64 * 1024;
const VALID = { api_key: 'sk_test_validKey0000wxyz', sync_enabled: true, aggregation_window_minutes: 60 };
const without = (field: keyof typeof VALID) => Object.fromEntries(Object.entries(VALID).filter(([key]) => key !== field));
const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });

interface BadInput {
  name: string;
  /** An object is sent as JSON; a string is sent as-is with `contentType`. */
  body: unknown;
  contentType?: string;
  field: string;
  reason: RegExp;
  code?: string;
}

const cases: BadInput[] = [
  { name: 'an empty object', body: {}, field: 'api_key', reason: /required/ },
  { name: 'a missing api_key', body: without('api_key'), field: 'api_key', reason: /required/ },
  { name: 'a missing sync_enabled', body: without('sync_enabled'), field: 'sync_enabled', reason: /required/ },
  {
    name: 'a missing aggregation_window_minutes',
    body: without('aggregation_window_minutes'),
    field: 'aggregation_window_minutes',
    reason: /required/,
  },
  { name: 'a numeric api_key', body: { ...VALID, api_key: 4242424242424242 }, field: 'api_key', reason: /must be a string/ },
  { name: 'a null api_key', body: { ...VALID, api_key: null }, field: 'api_key', reason: /required/ },
  { name: 'an object api_key', body: { ...VALID, api_key: { value: 'sk_test_1234' } }, field: 'api_key', reason: /must be a string/ },
  { name: 'a list api_key', body: { ...VALID, api_key: ['sk_test_1234'] }, field: 'api_key', reason: /must be a string/ },
  { name: 'a publishable key', body: { ...VALID, api_key: 'pk_test_1234abcd' }, field: 'api_key', reason: /must look like sk_test_/ },
  { name: 'a key of an unknown mode', body: { ...VALID, api_key: 'sk_prod_1234abcd' }, field: 'api_key', reason: /must look like/ },
  { name: 'a masked key sent back', body: { ...VALID, api_key: 'sk_test_…wxyz' }, field: 'api_key', reason: /must look like/ },
  { name: 'a key with a newline', body: { ...VALID, api_key: 'sk_test_1234abcd\n' }, field: 'api_key', reason: /must look like/ },
  {
    name: 'a 20,000-character api_key',
    body: { ...VALID, api_key: `sk_test_${'a'.repeat(20_000)}` },
    field: 'api_key',
    reason: /shorter than or equal to 255/,
  },
  { name: 'an unknown usage source', body: { ...VALID, usage_source: 'kafka-topic' }, field: 'usage_source', reason: /must be one of/ },
  { name: 'a numeric usage source', body: { ...VALID, usage_source: 1 }, field: 'usage_source', reason: /must be one of/ },
  { name: 'a string sync_enabled', body: { ...VALID, sync_enabled: 'true' }, field: 'sync_enabled', reason: /boolean/ },
  { name: 'a numeric sync_enabled', body: { ...VALID, sync_enabled: 1 }, field: 'sync_enabled', reason: /boolean/ },
  { name: 'a null sync_enabled', body: { ...VALID, sync_enabled: null }, field: 'sync_enabled', reason: /required/ },
  { name: 'a string window', body: { ...VALID, aggregation_window_minutes: '60' }, field: 'aggregation_window_minutes', reason: /integer/ },
  {
    name: 'a fractional window',
    body: { ...VALID, aggregation_window_minutes: 1.5 },
    field: 'aggregation_window_minutes',
    reason: /integer/,
  },
  { name: 'a zero window', body: { ...VALID, aggregation_window_minutes: 0 }, field: 'aggregation_window_minutes', reason: /divide 60/ },
  {
    name: 'a negative window',
    body: { ...VALID, aggregation_window_minutes: -60 },
    field: 'aggregation_window_minutes',
    reason: /divide 60/,
  },
  {
    name: 'a window that does not divide the hour',
    body: { ...VALID, aggregation_window_minutes: 7 },
    field: 'aggregation_window_minutes',
    reason: /divide 60/,
  },
  {
    name: 'a window that does not divide the day',
    body: { ...VALID, aggregation_window_minutes: 90 },
    field: 'aggregation_window_minutes',
    reason: /divide 60/,
  },
  {
    name: 'a window longer than a day',
    body: { ...VALID, aggregation_window_minutes: 2880 },
    field: 'aggregation_window_minutes',
    reason: /divide 60/,
  },
  { name: 'a huge window', body: { ...VALID, aggregation_window_minutes: 1e20 }, field: 'aggregation_window_minutes', reason: /divide 60/ },
  { name: 'a numeric webhook_secret', body: { ...VALID, webhook_secret: 12345 }, field: 'webhook_secret', reason: /must be a string/ },
  {
    name: 'a webhook_secret without whsec_',
    body: { ...VALID, webhook_secret: 'not-a-webhook-secret' },
    field: 'webhook_secret',
    reason: /must look like whsec_/,
  },
  {
    name: 'a 50,000-character webhook_secret',
    body: { ...VALID, webhook_secret: `whsec_${'b'.repeat(50_000)}` },
    field: 'webhook_secret',
    reason: /shorter than or equal to 255/,
  },
  {
    name: 'an attempt to set tenant_id',
    body: { ...VALID, tenant_id: 'tenant_someone_else' },
    field: 'tenant_id',
    reason: /should not exist/,
  },
  {
    name: 'an attempt to set environment_id',
    body: { ...VALID, environment_id: 'env_other' },
    field: 'environment_id',
    reason: /should not exist/,
  },
  { name: 'an unknown field', body: { ...VALID, apiKey: 'sk_test_1234abcd' }, field: 'apiKey', reason: /should not exist/ },
  { name: 'a deeply nested unknown field', body: { ...VALID, extra: nested(500) }, field: 'extra', reason: /should not exist/ },
  {
    name: 'a thousand unknown fields',
    body: { ...VALID, ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])) },
    field: 'f999',
    reason: /should not exist/,
  },
  {
    name: 'a __proto__ field',
    body: `{"api_key":"sk_test_validKey0000wxyz","sync_enabled":true,"aggregation_window_minutes":60,"__proto__":{"admin":true}}`,
    contentType: 'application/json',
    field: '__proto__',
    reason: /should not exist/,
  },
  { name: 'a JSON array', body: [VALID], field: 'api_key', reason: /./ },
  {
    name: 'malformed JSON',
    body: '{"api_key": "sk_test_1234", "sync_enabled": tru',
    contentType: 'application/json',
    field: 'body',
    reason: /malformed JSON/,
    code: 'REQUEST.MALFORMED_JSON',
  },
  {
    name: 'malformed JSON around an unquoted key',
    body: '{"api_key": sk_test_1234abcdefgh}',
    contentType: 'application/json',
    field: 'body',
    reason: /malformed JSON/,
    code: 'REQUEST.MALFORMED_JSON',
  },
  {
    name: 'a JSON null',
    body: 'null',
    contentType: 'application/json',
    field: 'body',
    reason: /malformed JSON/,
    code: 'REQUEST.MALFORMED_JSON',
  },
  {
    name: 'a JSON string',
    body: '"sk_test_1234abcd"',
    contentType: 'application/json',
    field: 'body',
    reason: /malformed JSON/,
    code: 'REQUEST.MALFORMED_JSON',
  },
  { name: 'an empty JSON body', body: '', contentType: 'application/json', field: 'api_key', reason: /required/ },
  { name: 'a body that is not JSON', body: 'api_key=sk_test_1234abcd', contentType: 'text/plain', field: 'api_key', reason: /required/ },
  {
    name: 'a body over the size limit',
    body: { ...VALID, padding: 'x'.repeat(BODY_LIMIT) },
    field: 'body',
    reason: /too large/,
    code: 'REQUEST.BODY_TOO_LARGE',
  },
];

describe('PUT /v1/stripe/config bad input', () => {
  let service: RunningConfigService;
  let token: string;
  let tenantId: string;

  beforeAll(async () => {
    service = await startConfigService({ databaseUrl: stackEnv().DATABASE_URL, bodyLimitBytes: BODY_LIMIT });
    const tenant = uniqueTenant('bad-input');
    tenantId = tenant.tenantId;
    token = await tokenFor(tenant);
  });

  afterAll(async () => {
    await service.close();
  });

  it.each(cases)('answers 400 naming the field and reason for $name', async ({ body, contentType, field, reason, code }) => {
    let request = service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`);
    if (contentType) request = request.set('Content-Type', contentType);
    const response = await request.send(body as string | object);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe(code ?? 'REQUEST.INVALID');
    expect(typeof response.body.message).toBe('string');
    const details = response.body.details as { field: string; reason: string }[];
    expect(details).toEqual(expect.arrayContaining([expect.objectContaining({ field, reason: expect.stringMatching(reason) })]));
    // A rejected value is never echoed back: it may be a secret.
    expect(response.text).not.toMatch(/validKey0000|aaaaaaaaaa|bbbbbbbbbb|4242424242|sk_test_1234/);
  });

  it('stores nothing for any rejected body', async () => {
    expect(await service.dataSource.getRepository(StripeTenantConfig).count({ where: { tenantId } })).toBe(0);
  });

  it.each([
    ['a non-numeric limit', 'limit=abc', 'limit'],
    ['a zero limit', 'limit=0', 'limit'],
    ['a limit over 200', 'limit=1000', 'limit'],
    ['a repeated limit', 'limit=1&limit=2', 'limit'],
    ['a negative before', 'before=-1', 'before'],
    ['an unknown query parameter', 'tenant_id=other', 'tenant_id'],
  ])('answers 400 to a history query with %s', async (_name, query, field) => {
    const response = await service.http.get(`/v1/stripe/config/history?${query}`).set('Authorization', `Bearer ${token}`).expect(400);
    expect(response.body).toMatchObject({ code: 'REQUEST.INVALID', details: expect.arrayContaining([expect.objectContaining({ field })]) });
  });
});
