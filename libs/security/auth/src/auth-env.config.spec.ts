import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { AuthEnvConfig, authOptionsFrom } from './auth-env.config';

const BASE = {
  PORT: '8080',
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  AUTH_JWT_ISSUER: 'flexsync',
  AUTH_JWT_AUDIENCE: 'flexsync-api',
};
const SECRET = 'a-secret-that-is-long-enough-0123456789';

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig('svc', AuthEnvConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('AuthEnvConfig', () => {
  it('loads an HS256 secret into verifier options', () => {
    const config = loadConfig('svc', AuthEnvConfig, { ...BASE, AUTH_JWT_SECRET: SECRET });
    expect(authOptionsFrom(config)).toEqual({ jwtSecret: SECRET, jwksUrl: undefined, issuer: 'flexsync', audience: 'flexsync-api' });
  });

  it('loads a JWKS URL into verifier options', () => {
    const config = loadConfig('svc', AuthEnvConfig, {
      ...BASE,
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      AUTH_JWT_SECRET: '',
    });
    expect(authOptionsFrom(config)).toMatchObject({ jwtSecret: undefined, jwksUrl: 'https://idp.example.com/.well-known/jwks.json' });
  });

  it('requires a secret or a JWKS URL, plus issuer and audience, reporting all at once', () => {
    const message = problems({ PORT: '8080' });
    expect(message).toContain('AUTH_JWT_SECRET or AUTH_JWKS_URL must be set');
    expect(message).toContain('AUTH_JWT_ISSUER');
    expect(message).toContain('AUTH_JWT_AUDIENCE');
  });

  it('refuses a secret shorter than 32 characters without printing it', () => {
    const message = problems({ ...BASE, AUTH_JWT_SECRET: 'too-short-secret' });
    expect(message).toContain('at least 32 characters');
    expect(message).not.toContain('too-short-secret');
  });

  it('refuses both a secret and a JWKS URL', () => {
    expect(problems({ ...BASE, AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://idp.example.com/jwks' })).toContain(
      'set only one of AUTH_JWKS_URL and AUTH_JWT_SECRET',
    );
  });

  it('refuses a JWKS URL that is not http(s)', () => {
    expect(problems({ ...BASE, AUTH_JWKS_URL: 'ftp://idp.example.com/jwks' })).toContain('AUTH_JWKS_URL must be an http(s):// URL');
  });
});
