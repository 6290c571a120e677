import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import supertest from 'supertest';
import { RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { freePort, eventually, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { configServiceEnv, testKeyring, tokenFor } from '../../testing/config-service.harness';

const secretBody = () => randomBytes(16).toString('hex');

describe('config-service logs over a full config lifecycle', () => {
  const apiKey = `sk_test_${secretBody()}`;
  const rejectedKey = `sk_test_${secretBody()}`;
  const strayKey = `sk_live_${secretBody()}`;
  const webhookSecret = `whsec_${secretBody()}`;
  const secondWebhookSecret = `whsec_${secretBody()}`;
  const keyring = testKeyring('k1');
  const masterKey = keyring.entries.k1.split(':')[1];

  let emulator: RunningStripeEmulator;
  let child: ChildProcess;
  let output = '';
  let closed: Promise<unknown>;

  beforeAll(async () => {
    // An explicit account id: the emulator's default derives it from the key, which would put key characters in the logs.
    emulator = await startStripeEmulator({ accounts: [{ id: 'acct_logsTenant0001', apiKeys: [apiKey] }] });
    const port = await freePort();
    child = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/config-service/src/main.ts')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        ...configServiceEnv({
          databaseUrl: stackEnv().DATABASE_URL,
          stripeBaseUrl: emulator.url,
          keys: keyring.keys,
          currentKeyId: 'k1',
          logLevel: 'trace',
        }),
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // 'close', not 'exit': only then has all of its output been read, shutdown lines included, for the scan below.
    closed = new Promise((resolve) => child.once('close', resolve));
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const http = supertest(`http://127.0.0.1:${port}`);
    await eventually(async () => ((await http.get('/health/live')).status === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'config-service to start',
    });

    const { tenantId, environmentId } = uniqueTenant('logs');
    const token = await tokenFor({ tenantId, environmentId, subject: 'log-test-admin' });
    const auth = { Authorization: `Bearer ${token}` };
    const put = (body: object) => http.put('/v1/stripe/config').set(auth).send(body);

    await put({ api_key: apiKey, sync_enabled: true, aggregation_window_minutes: 60, webhook_secret: webhookSecret }).expect(201);
    await http.get('/v1/stripe/config').set(auth).expect(200);
    await http.post('/v1/stripe/config/test').set(auth).expect(200);
    await put({ api_key: rejectedKey, sync_enabled: false, aggregation_window_minutes: 15, webhook_secret: secondWebhookSecret }).expect(
      200,
    );
    await http.post('/v1/stripe/config/test').set(auth).expect(401);
    await put({ api_key: apiKey, sync_enabled: true, aggregation_window_minutes: 15, webhook_secret: null }).expect(200);
    emulator.injectFault({ kind: 'status', status: 503, pathPrefix: '/v1/balance' });
    await http.post('/v1/stripe/config/test').set(auth).expect(502);
    emulator.clearFaults();
    await http.put('/v1/stripe/config').set(auth).set('Content-Type', 'application/json').send(`{"api_key": ${strayKey}}`).expect(400);
    await put({ api_key: apiKey, sync_enabled: 'yes', aggregation_window_minutes: 60, note: strayKey }).expect(400);
    await put({ api_key: `${strayKey}!`, sync_enabled: true, aggregation_window_minutes: 60 }).expect(400);
    await http
      .get('/v1/stripe/config')
      .set('Authorization', `Bearer ${token.slice(0, -4)}abcd`)
      .expect(401);
    await http.get('/v1/stripe/config/history').set(auth).expect(200);
    await http.delete('/v1/stripe/config').set(auth).expect(204);
    await http.get('/metrics').expect(200);

    child.kill('SIGTERM');
    await closed;
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await emulator.close();
  });

  it('captured the lifecycle: request logs and change logs with tenant and environment', () => {
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const messages = lines.map((line) => line.msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        'stripe config created',
        'stripe config updated',
        'stripe config deleted',
        'stripe connection tested',
        'request completed',
      ]),
    );
    const scoped = lines.filter((line) => line.msg === 'stripe config created' || line.msg === 'stripe connection tested');
    for (const line of scoped) {
      expect(line.tenant_id).toMatch(/^tenant_logs_/);
      expect(line.environment_id).toMatch(/^env_logs_/);
    }
    expect(lines.filter((line) => line.msg === 'request completed' && typeof line.tenant_id === 'string').length).toBeGreaterThan(5);
  });

  it('never logs an API key, a webhook secret, a bearer token or the master key', async () => {
    const token = await tokenFor({ tenantId: 'x', environmentId: 'y' });
    const forbidden = [
      apiKey,
      rejectedKey,
      strayKey,
      webhookSecret,
      secondWebhookSecret,
      masterKey,
      token.split('.')[0] + '.' + token.split('.')[1].slice(0, 10),
    ];
    // The random part of each secret as well, in case a log line reformats the prefix.
    const bodies = [apiKey, rejectedKey, strayKey, webhookSecret, secondWebhookSecret].map((secret) =>
      secret.replace(/^(sk_test_|sk_live_|whsec_)/, ''),
    );
    expect(output.length).toBeGreaterThan(1000);
    for (const value of [...forbidden.slice(0, 6), ...bodies]) {
      expect(output).not.toContain(value);
    }
    expect(output).not.toMatch(/Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
