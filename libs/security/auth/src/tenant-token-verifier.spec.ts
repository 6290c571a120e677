import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DomainError } from '@flexsync/runtime';
import { AuthOptions } from './auth-options';
import { mintOperatorToken, mintTenantToken } from './tenant-token-minter';
import { TenantTokenVerifier } from './tenant-token-verifier';

const SECRET = 'unit-test-secret-0123456789abcdef0123';
const OPTIONS: AuthOptions = { jwtSecret: SECRET, issuer: 'flexsync-test', audience: 'flexsync-api' };
const SIGNING = { jwtSecret: SECRET, issuer: OPTIONS.issuer, audience: OPTIONS.audience };

async function rejection(work: Promise<unknown>): Promise<DomainError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

function hs256(claims: Record<string, unknown>, header: Record<string, unknown> = { typ: 'JWT' }): SignJWT {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', ...header })
    .setSubject('admin@tenant')
    .setIssuedAt();
}

const NOW_SECONDS = () => Math.floor(Date.now() / 1000);
const TENANT_CLAIMS = { tenant_id: 't1', environment_id: 'e1', roles: ['tenant_admin'] };

/** An otherwise valid tenant-admin token, built claim by claim so one can be left out or bent. */
function tenantToken(options: { iat?: number | null; header?: Record<string, unknown>; expiresIn?: number } = {}): Promise<string> {
  const jwt = new SignJWT(TENANT_CLAIMS)
    .setProtectedHeader({ alg: 'HS256', ...(options.header ?? { typ: 'JWT' }) })
    .setSubject('admin@tenant')
    .setIssuer(OPTIONS.issuer)
    .setAudience(OPTIONS.audience)
    .setExpirationTime(NOW_SECONDS() + (options.expiresIn ?? 3600));
  if (options.iat !== null) jwt.setIssuedAt(options.iat ?? NOW_SECONDS());
  return jwt.sign(new TextEncoder().encode(SECRET));
}

describe('TenantTokenVerifier with an HS256 secret', () => {
  const sut = new TenantTokenVerifier(OPTIONS);

  it('accepts a tenant-admin token and takes tenant and environment from it', async () => {
    const token = await mintTenantToken(SIGNING, { tenantId: 't1', environmentId: 'e1', subject: 'alice' });
    await expect(sut.authenticate(`Bearer ${token}`)).resolves.toEqual({
      tenantId: 't1',
      environmentId: 'e1',
      subject: 'alice',
      roles: ['tenant_admin'],
      actingAs: 'tenant_admin',
    });
  });

  it('answers 401 AUTH.MISSING_TOKEN without an Authorization header', async () => {
    const error = await rejection(sut.authenticate(undefined));
    expect([error.code, error.status]).toEqual(['AUTH.MISSING_TOKEN', 401]);
  });

  it.each([
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['a bare token', 'eyJhbGciOiJIUzI1NiJ9.e30.x'],
    ['garbage after Bearer', 'Bearer not-a-jwt'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
  ])('answers 401 AUTH.INVALID_TOKEN for %s', async (_name, header) => {
    const error = await rejection(sut.authenticate(header));
    expect([error.code, error.status]).toEqual(['AUTH.INVALID_TOKEN', 401]);
  });

  it.each([
    [
      'signed with another secret',
      () => mintTenantToken({ ...SIGNING, jwtSecret: 'another-secret-0123456789abcdef0123456' }, { tenantId: 't1', environmentId: 'e1' }),
      'signature',
    ],
    ['from another issuer', () => mintTenantToken({ ...SIGNING, issuer: 'someone-else' }, { tenantId: 't1', environmentId: 'e1' }), 'iss'],
    [
      'for another audience',
      () => mintTenantToken({ ...SIGNING, audience: 'another-api' }, { tenantId: 't1', environmentId: 'e1' }),
      'aud',
    ],
    [
      'expired',
      () =>
        hs256({ tenant_id: 't1', environment_id: 'e1', roles: ['tenant_admin'] })
          .setIssuer(OPTIONS.issuer)
          .setAudience(OPTIONS.audience)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
          .sign(new TextEncoder().encode(SECRET)),
      'expired',
    ],
    [
      'without an expiry',
      () =>
        hs256({ tenant_id: 't1', environment_id: 'e1', roles: ['tenant_admin'] })
          .setIssuer(OPTIONS.issuer)
          .setAudience(OPTIONS.audience)
          .sign(new TextEncoder().encode(SECRET)),
      'exp',
    ],
    [
      'without tenant_id',
      () =>
        hs256({ environment_id: 'e1', roles: ['tenant_admin'] })
          .setIssuer(OPTIONS.issuer)
          .setAudience(OPTIONS.audience)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(SECRET)),
      'tenant_id',
    ],
    [
      'with a non-string environment_id',
      () =>
        hs256({ tenant_id: 't1', environment_id: 7, roles: ['tenant_admin'] })
          .setIssuer(OPTIONS.issuer)
          .setAudience(OPTIONS.audience)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(SECRET)),
      'environment_id',
    ],
    [
      'whose tenant id other services would refuse (a space)',
      () => mintTenantToken(SIGNING, { tenantId: 'acme eu', environmentId: 'e1' }),
      'tenant_id',
    ],
    [
      'whose environment id other services would refuse (a quote)',
      () => mintTenantToken(SIGNING, { tenantId: 't1', environmentId: "e1'" }),
      'environment_id',
    ],
    [
      'with roles that are not a list',
      () =>
        hs256({ tenant_id: 't1', environment_id: 'e1', roles: 'tenant_admin' })
          .setIssuer(OPTIONS.issuer)
          .setAudience(OPTIONS.audience)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(SECRET)),
      'roles',
    ],
  ])('answers 401 AUTH.INVALID_TOKEN for a token %s', async (_name, mint, reason) => {
    const error = await rejection(sut.authenticate(`Bearer ${await mint()}`));
    expect([error.code, error.status]).toEqual(['AUTH.INVALID_TOKEN', 401]);
    expect(error.message).toContain(reason);
  });

  it.each([
    ['without an iat', () => tenantToken({ iat: null }), 'iat'],
    [
      'issued longer ago than the maximum token age, though not expired',
      () => tenantToken({ iat: NOW_SECONDS() - 25 * 3600, expiresIn: 3600 }),
      'maximum token age',
    ],
    ['issued in the future', () => tenantToken({ iat: NOW_SECONDS() + 600 }), 'iat'],
    ['without a typ header', () => tenantToken({ header: {} }), 'typ'],
    ['whose typ header is not a JWT access token', () => tenantToken({ header: { typ: 'dpop+jwt' } }), 'typ'],
  ])('answers 401 AUTH.INVALID_TOKEN for a token %s', async (_name, mint, reason) => {
    const error = await rejection(sut.authenticate(`Bearer ${await mint()}`));
    expect([error.code, error.status]).toEqual(['AUTH.INVALID_TOKEN', 401]);
    expect(error.message).toContain(reason);
  });

  it.each([
    ['JWT', 'JWT'],
    ['at+jwt (RFC 9068 access tokens)', 'at+jwt'],
    ['application/at+JWT', 'application/at+JWT'],
  ])('accepts typ %s', async (_name, typ) => {
    await expect(sut.authenticate(`Bearer ${await tenantToken({ header: { typ } })}`)).resolves.toMatchObject({ tenantId: 't1' });
  });

  it('takes the maximum token age from the options', async () => {
    const strict = new TenantTokenVerifier({ ...OPTIONS, maxTokenAgeSeconds: 60 });
    const error = await rejection(strict.authenticate(`Bearer ${await tenantToken({ iat: NOW_SECONDS() - 120 })}`));
    expect(error.message).toContain('maximum token age');
    await expect(strict.authenticate(`Bearer ${await tenantToken()}`)).resolves.toMatchObject({ tenantId: 't1' });
  });

  it('refuses unsigned (alg none) tokens', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const payload = Buffer.from(
      JSON.stringify({
        sub: 'x',
        tenant_id: 't1',
        environment_id: 'e1',
        roles: ['tenant_admin'],
        iss: OPTIONS.issuer,
        aud: OPTIONS.audience,
        exp,
      }),
    ).toString('base64url');
    const error = await rejection(sut.authenticate(`Bearer ${header}.${payload}.`));
    expect(error.code).toBe('AUTH.INVALID_TOKEN');
  });

  it('answers 403 AUTH.FORBIDDEN when the token lacks the tenant_admin role', async () => {
    const token = await mintTenantToken(SIGNING, { tenantId: 't1', environmentId: 'e1', roles: ['viewer'] });
    const error = await rejection(sut.authenticate(`Bearer ${token}`));
    expect([error.code, error.status]).toEqual(['AUTH.FORBIDDEN', 403]);
  });

  it('switches to an environment named in X-Environment-ID when the token lists it', async () => {
    const token = await mintTenantToken(SIGNING, { tenantId: 't1', environmentId: 'e1', environmentIds: ['e2'] });
    await expect(sut.authenticate(`Bearer ${token}`, 'e2')).resolves.toMatchObject({ tenantId: 't1', environmentId: 'e2' });
    await expect(sut.authenticate(`Bearer ${token}`, 'e1')).resolves.toMatchObject({ environmentId: 'e1' });
  });

  it('answers 403 AUTH.ENVIRONMENT_NOT_ALLOWED for an environment the token does not list', async () => {
    const token = await mintTenantToken(SIGNING, { tenantId: 't1', environmentId: 'e1', environmentIds: ['e2'] });
    const error = await rejection(sut.authenticate(`Bearer ${token}`, 'e3'));
    expect([error.code, error.status]).toEqual(['AUTH.ENVIRONMENT_NOT_ALLOWED', 403]);
  });

  it('refuses to be built without a key source, with a short secret, or with both sources', () => {
    expect(() => new TenantTokenVerifier({ issuer: 'i', audience: 'a' })).toThrow('required');
    expect(() => new TenantTokenVerifier({ ...OPTIONS, jwtSecret: 'short' })).toThrow('at least 32');
    expect(() => new TenantTokenVerifier({ ...OPTIONS, jwksUrl: 'http://127.0.0.1:1/jwks' })).toThrow('not both');
  });

  it.each(['http://idp.example.com/jwks.json', 'http://10.0.0.7/jwks.json', 'ftp://idp.example.com/jwks'])(
    'refuses to fetch signing keys from %s (only https, or http on loopback)',
    (jwksUrl) => {
      expect(() => new TenantTokenVerifier({ jwksUrl, issuer: 'i', audience: 'a' })).toThrow('https');
    },
  );

  it.each([
    'https://idp.example.com/jwks.json',
    'http://127.0.0.1:8080/jwks.json',
    'http://localhost:8080/jwks.json',
    'http://[::1]:8080/jwks',
  ])('accepts a JWKS URL %s', (jwksUrl) => {
    expect(() => new TenantTokenVerifier({ jwksUrl, issuer: 'i', audience: 'a' })).not.toThrow();
  });
});

describe('TenantTokenVerifier: operators and tenant admins', () => {
  const sut = new TenantTokenVerifier(OPTIONS);
  const operatorToken = () => mintOperatorToken(SIGNING, { subject: 'ops@flexprice' });
  const adminToken = () => mintTenantToken(SIGNING, { tenantId: 't1', environmentId: 'e1', subject: 'alice' });

  it('lets an operator act on the tenant and environment the request names, where a route admits operators', async () => {
    await expect(
      sut.authenticate(`Bearer ${await operatorToken()}`, 'env_b', { allowOperator: true, tenantHeader: 'tenant_b' }),
    ).resolves.toEqual({
      tenantId: 'tenant_b',
      environmentId: 'env_b',
      subject: 'ops@flexprice',
      roles: ['operator'],
      actingAs: 'operator',
    });
  });

  it('answers 400 naming the header when an operator does not name a valid tenant and environment', async () => {
    for (const [tenant, environment, field] of [
      [undefined, 'e1', 'X-Tenant-ID'],
      ['t1', undefined, 'X-Environment-ID'],
      ["t1'; --", 'e1', 'X-Tenant-ID'],
    ] as const) {
      const error = await rejection(
        sut.authenticate(`Bearer ${await operatorToken()}`, environment, { allowOperator: true, tenantHeader: tenant }),
      );
      expect([error.code, error.status]).toEqual(['REQUEST.INVALID', 400]);
      expect(error.details).toEqual([expect.objectContaining({ field })]);
    }
  });

  it('refuses an operator with 403 where a route admits tenant admins only', async () => {
    const error = await rejection(sut.authenticate(`Bearer ${await operatorToken()}`, 'e1', { tenantHeader: 't1' }));
    expect([error.code, error.status]).toEqual(['AUTH.FORBIDDEN', 403]);
  });

  it('never lets a tenant admin act on another tenant, whatever the request names', async () => {
    const error = await rejection(sut.authenticate(`Bearer ${await adminToken()}`, undefined, { allowOperator: true, tenantHeader: 't2' }));
    expect([error.code, error.status]).toEqual(['AUTH.TENANT_NOT_ALLOWED', 403]);
    await expect(
      sut.authenticate(`Bearer ${await adminToken()}`, undefined, { allowOperator: true, tenantHeader: 't1' }),
    ).resolves.toMatchObject({
      tenantId: 't1',
      actingAs: 'tenant_admin',
    });
  });

  it('refuses an operator token that is not valid otherwise (expired, wrong audience)', async () => {
    const expired = await mintOperatorToken(SIGNING, { subject: 'ops', ttlSeconds: -60 });
    expect((await rejection(sut.authenticate(`Bearer ${expired}`, 'e1', { allowOperator: true, tenantHeader: 't1' }))).code).toBe(
      'AUTH.INVALID_TOKEN',
    );
    const foreign = await mintOperatorToken({ ...SIGNING, audience: 'another-api' }, { subject: 'ops' });
    expect((await rejection(sut.authenticate(`Bearer ${foreign}`, 'e1', { allowOperator: true, tenantHeader: 't1' }))).code).toBe(
      'AUTH.INVALID_TOKEN',
    );
  });
});

describe('TenantTokenVerifier with a JWKS URL', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function es256(claims: Record<string, unknown>): SignJWT {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key', typ: 'at+jwt' })
      .setSubject('idp-user')
      .setIssuer(OPTIONS.issuer)
      .setAudience(OPTIONS.audience)
      .setIssuedAt()
      .setExpirationTime('5m');
  }

  it('accepts a token signed by a key the JWKS publishes', async () => {
    const sut = new TenantTokenVerifier({ jwksUrl, issuer: OPTIONS.issuer, audience: OPTIONS.audience });
    const token = await es256({ tenant_id: 't9', environment_id: 'e9', roles: ['tenant_admin'] }).sign(privateKey);
    await expect(sut.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ tenantId: 't9', environmentId: 'e9', subject: 'idp-user' });
  });

  it('refuses an HS256 token even when its secret is the published public key (algorithm confusion)', async () => {
    const sut = new TenantTokenVerifier({ jwksUrl, issuer: OPTIONS.issuer, audience: OPTIONS.audience });
    const token = await mintTenantToken(SIGNING, { tenantId: 't9', environmentId: 'e9' });
    const error = await rejection(sut.authenticate(`Bearer ${token}`));
    expect(error.code).toBe('AUTH.INVALID_TOKEN');
  });

  it('refuses a token signed by a key the JWKS does not publish', async () => {
    const sut = new TenantTokenVerifier({ jwksUrl, issuer: OPTIONS.issuer, audience: OPTIONS.audience });
    const other = await generateKeyPair('ES256');
    const token = await es256({ tenant_id: 't9', environment_id: 'e9', roles: ['tenant_admin'] }).sign(other.privateKey);
    const error = await rejection(sut.authenticate(`Bearer ${token}`));
    expect(error.code).toBe('AUTH.INVALID_TOKEN');
  });

  it('answers 503 AUTH.KEYS_UNAVAILABLE, not 401, when the JWKS endpoint cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sut = new TenantTokenVerifier({
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
      issuer: OPTIONS.issuer,
      audience: OPTIONS.audience,
    });
    const token = await es256({ tenant_id: 't9', environment_id: 'e9', roles: ['tenant_admin'] }).sign(privateKey);
    const error = await rejection(sut.authenticate(`Bearer ${token}`));
    expect([error.code, error.status]).toEqual(['AUTH.KEYS_UNAVAILABLE', 503]);
  });
});
