import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DomainError } from '@flexsync/runtime';
import { AuthOptions } from './auth-options';
import { mintTenantToken } from './tenant-token-minter';
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

function hs256(claims: Record<string, unknown>): SignJWT {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('admin@tenant').setIssuedAt();
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
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
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
