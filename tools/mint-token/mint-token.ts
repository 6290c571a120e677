import 'reflect-metadata';
import { parseArgs } from 'node:util';
import {
  AuthClaimField,
  AuthEnvFields,
  AuthMaxTokenAgeField,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
  mintOperatorToken,
  mintTenantToken,
  MIN_JWT_SECRET_LENGTH,
  TENANT_ADMIN_ROLE,
} from '@flexsync/auth';
import { loadConfig } from '@flexsync/runtime';
import { IsString, MinLength } from 'class-validator';

const USAGE = `usage: node tools/dev/run-ts.js tools/mint-token/mint-token.ts --tenant T --env E [--env-allowed E2 …] [--role tenant_admin …] [--sub S] [--ttl 3600]
       node tools/dev/run-ts.js tools/mint-token/mint-token.ts --operator --sub S [--ttl 3600]

Prints an HS256 token signed with AUTH_JWT_SECRET for issuer AUTH_JWT_ISSUER and audience AUTH_JWT_AUDIENCE:
a tenant token, or with --operator an operator token (no tenant claims; each request names its tenant with
X-Tenant-ID and X-Environment-ID). --ttl may not exceed AUTH_JWT_MAX_AGE_SECONDS (default ${DEFAULT_MAX_TOKEN_AGE_SECONDS}),
past which the services refuse a token whatever its exp.`;

/** Minting needs the HS256 secret; services verifying with a JWKS URL take tokens from their identity provider instead. */
class MintTokenConfig implements AuthEnvFields {
  @IsString({ message: 'AUTH_JWT_SECRET must be set (minting signs HS256 tokens)' })
  @MinLength(MIN_JWT_SECRET_LENGTH, { message: `AUTH_JWT_SECRET must be at least ${MIN_JWT_SECRET_LENGTH} characters` })
  AUTH_JWT_SECRET!: string;

  @AuthClaimField()
  AUTH_JWT_ISSUER!: string;

  @AuthClaimField()
  AUTH_JWT_AUDIENCE!: string;

  @AuthMaxTokenAgeField()
  AUTH_JWT_MAX_AGE_SECONDS = DEFAULT_MAX_TOKEN_AGE_SECONDS;
}

function usageError(problem: string): never {
  process.stderr.write(`${problem}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      env: { type: 'string' },
      'env-allowed': { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
      operator: { type: 'boolean' },
      sub: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) usageError('--ttl must be a positive whole number of seconds');
  if (values.operator && !values.sub) usageError('--operator needs --sub: every sync an operator starts is recorded with it');
  if (!values.operator && (!values.tenant || !values.env)) usageError('--tenant and --env are required (or --operator)');
  const config = loadConfig('mint-token', MintTokenConfig);
  if (ttlSeconds > config.AUTH_JWT_MAX_AGE_SECONDS) {
    usageError(
      `--ttl ${ttlSeconds} exceeds AUTH_JWT_MAX_AGE_SECONDS (${config.AUTH_JWT_MAX_AGE_SECONDS}); the services would refuse the token before it expires`,
    );
  }
  const signing = { jwtSecret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER, audience: config.AUTH_JWT_AUDIENCE };
  const token = values.operator
    ? await mintOperatorToken(signing, { subject: values.sub as string, ttlSeconds })
    : await mintTenantToken(signing, {
        tenantId: values.tenant as string,
        environmentId: values.env as string,
        environmentIds: values['env-allowed'],
        roles: values.role ?? [TENANT_ADMIN_ROLE],
        subject: values.sub,
        ttlSeconds,
      });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
