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
    expect(authOptionsFrom(config)).toEqual({
      jwtSecret: SECRET,
      jwksUrl: undefined,
      issuer: 'flexsync',
      audience: 'flexsync-api',
      maxTokenAgeSeconds: 86_400,
    });
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

  it('refuses a JWKS URL that is not https, naming the key', () => {
    expect(problems({ ...BASE, AUTH_JWKS_URL: 'ftp://idp.example.com/jwks' })).toContain('AUTH_JWKS_URL must be an https:// URL');
    expect(problems({ ...BASE, AUTH_JWKS_URL: 'http://idp.example.com/jwks' })).toContain(
      'AUTH_JWKS_URL must be an https:// URL (http only on loopback)',
    );
  });

  it('allows http for a JWKS on loopback (local identity provider, tests)', () => {
    expect(problems({ ...BASE, AUTH_JWKS_URL: 'http://127.0.0.1:9999/jwks' })).toBe('');
  });

  it('takes the maximum token age from AUTH_JWT_MAX_AGE_SECONDS and refuses nonsense', () => {
    const config = loadConfig('svc', AuthEnvConfig, { ...BASE, AUTH_JWT_SECRET: SECRET, AUTH_JWT_MAX_AGE_SECONDS: '600' });
    expect(authOptionsFrom(config).maxTokenAgeSeconds).toBe(600);
    expect(problems({ ...BASE, AUTH_JWT_SECRET: SECRET, AUTH_JWT_MAX_AGE_SECONDS: '0' })).toContain('AUTH_JWT_MAX_AGE_SECONDS');
    expect(problems({ ...BASE, AUTH_JWT_SECRET: SECRET, AUTH_JWT_MAX_AGE_SECONDS: 'a day' })).toContain('AUTH_JWT_MAX_AGE_SECONDS');
  });
});
