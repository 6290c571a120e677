import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountIdForKey, startStripeEmulator, RunningStripeEmulator } from '@flexsync/stripe-emulator';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { RunningConfigService, startConfigService, tokenFor, validConfigBody } from '../../testing/config-service.harness';

const ACCOUNT_KEY = ['sk', 'test', 'connectionAccount0001'].join('_');

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

describe('POST /v1/stripe/config/test against the Stripe emulator', () => {
  let emulator: RunningStripeEmulator;
  let service: RunningConfigService;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [ACCOUNT_KEY] }] });
    service = await startConfigService({ databaseUrl: stackEnv().DATABASE_URL, stripeBaseUrl: emulator.url });
  });

  afterEach(() => {
    emulator.clearFaults();
  });

  afterAll(async () => {
    await service.close();
    await emulator.close();
  });

  async function configured(apiKey: string): Promise<string> {
    const token = await tokenFor(uniqueTenant('conn'));
    await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody({ api_key: apiKey }))
      .expect(201);
    return token;
  }

  it('answers 200 connected for a key the account accepts, after one GET /v1/balance', async () => {
    const token = await configured(ACCOUNT_KEY);
    const before = emulator.requestCounts({ pathPrefix: '/v1/balance', account: ACCOUNT_KEY });
    const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(200);
    expect(response.body).toEqual({
      status: 'connected',
      livemode: false,
      stripe_account_id: accountIdForKey(ACCOUNT_KEY),
      tested_at: expect.any(String),
    });
    const after = emulator.requestCounts({ pathPrefix: '/v1/balance', account: ACCOUNT_KEY });
    expect(after.accepted - before.accepted).toBe(1);
    expect(emulator.requests({ pathPrefix: '/v1/balance', account: ACCOUNT_KEY }).at(-1)).toMatchObject({ method: 'GET', status: 200 });
  });

  it('answers 401 auth_error with a clear message for a key Stripe rejects, and records it', async () => {
    const rejectedKey = 'sk_test_revokedKey9999abcd';
    const token = await configured(rejectedKey);
    const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(401);
    expect(response.body).toEqual({
      status: 'auth_error',
      code: 'STRIPE.AUTH_FAILED',
      message: 'Stripe rejected the API key: it is invalid, expired or revoked',
      details: { status: 'auth_error', tested_at: expect.any(String) },
    });
    expect(response.text).not.toContain(rejectedKey);
    const get = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(200);
    expect(get.body.last_connection_test).toMatchObject({ status: 'auth_error', message: expect.stringContaining('rejected the API key') });
    const history = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${token}`).expect(200);
    expect(history.body.entries[0]).toMatchObject({ action: 'tested', detail: { result: 'auth_error' } });
  });

  it('answers 401 auth_error when Stripe refuses the key permission to read the balance (403)', async () => {
    const token = await configured(ACCOUNT_KEY);
    emulator.injectFault({ kind: 'status', status: 403, pathPrefix: '/v1/balance', account: ACCOUNT_KEY });
    const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(401);
    expect(response.body).toMatchObject({
      status: 'auth_error',
      code: 'STRIPE.AUTH_FAILED',
      message: expect.stringContaining('not permitted to read the balance'),
    });
  });

  it.each([500, 503])('answers 502 with the cause when Stripe answers %i', async (status) => {
    const token = await configured(ACCOUNT_KEY);
    emulator.injectFault({ kind: 'status', status, pathPrefix: '/v1/balance', account: ACCOUNT_KEY });
    const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(502);
    expect(response.body).toMatchObject({
      status: 'unreachable',
      code: 'STRIPE.UNAVAILABLE',
      message: expect.stringContaining(`status ${status}`),
      details: { status: 'unreachable', cause: expect.stringContaining(`status ${status}`) },
    });
    expect(response.text).not.toContain(ACCOUNT_KEY);
    const get = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(200);
    expect(get.body.last_connection_test).toMatchObject({ status: 'unreachable' });
  });
});

describe("POST /v1/stripe/config/test against stripe-mock (Stripe's API contract)", () => {
  let service: RunningConfigService;

  beforeAll(async () => {
    service = await startConfigService({ databaseUrl: stackEnv().DATABASE_URL, stripeBaseUrl: stackEnv().STRIPE_MOCK_URL });
  });

  afterAll(async () => {
    await service.close();
  });

  it('answers 200 connected for a test-mode key', async () => {
    const token = await tokenFor(uniqueTenant('conn-mock'));
    await service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(validConfigBody()).expect(201);
    const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(200);
    expect(response.body).toEqual({
      status: 'connected',
      livemode: false,
      stripe_account_id: expect.stringMatching(/^acct_/),
      tested_at: expect.any(String),
    });
  });

  it('answers 401 auth_error for a key stripe-mock rejects, without repeating the key stripe-mock echoes', async () => {
    const liveKey = ['sk', 'live', 'stripeMockRejectsLive77'].join('_');
    const token = await tokenFor(uniqueTenant('conn-mock-live'));
    await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody({ api_key: liveKey }))
      .expect(201);
    const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(401);
    expect(response.body).toMatchObject({ status: 'auth_error', code: 'STRIPE.AUTH_FAILED' });
    expect(response.text).not.toContain('stripeMockRejectsLive');
  });
});

describe('POST /v1/stripe/config/test when Stripe is unreachable or misbehaves', () => {
  it('answers 502 with the network cause when nothing listens at the Stripe address', async () => {
    const service = await startConfigService({
      databaseUrl: stackEnv().DATABASE_URL,
      stripeBaseUrl: `http://127.0.0.1:${await closedPort()}`,
    });
    try {
      const token = await tokenFor(uniqueTenant('conn-down'));
      await service.http.put('/v1/stripe/config').set('Authorization', `Bearer ${token}`).send(validConfigBody()).expect(201);
      const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(502);
      expect(response.body).toMatchObject({
        status: 'unreachable',
        code: 'STRIPE.UNAVAILABLE',
        message: expect.stringMatching(/^Stripe could not be reached: network error/),
      });
    } finally {
      await service.close();
    }
  });

  it('never repeats the key when a Stripe 5xx echoes the Authorization header', async () => {
    const echoing = createServer((request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { type: 'api_error', message: `internal error for Authorization ${request.headers.authorization}` } }),
      );
    });
    const port = await listen(echoing);
    const service = await startConfigService({ databaseUrl: stackEnv().DATABASE_URL, stripeBaseUrl: `http://127.0.0.1:${port}` });
    try {
      const key = ['sk', 'test', 'echoedKeyMustNotLeak42'].join('_');
      const token = await tokenFor(uniqueTenant('conn-echo'));
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${token}`)
        .send(validConfigBody({ api_key: key }))
        .expect(201);
      const response = await service.http.post('/v1/stripe/config/test').set('Authorization', `Bearer ${token}`).expect(502);
      expect(response.body.message).toContain('status 500');
      expect(response.text).not.toContain('echoedKeyMustNotLeak');
      const get = await service.http.get('/v1/stripe/config').set('Authorization', `Bearer ${token}`).expect(200);
      expect(get.text).not.toContain('echoedKeyMustNotLeak');
    } finally {
      await service.close();
      await close(echoing);
    }
  });
});
