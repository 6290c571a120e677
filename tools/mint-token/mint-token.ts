import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AuthClaimField, AuthEnvFields, mintTenantToken, MIN_JWT_SECRET_LENGTH, TENANT_ADMIN_ROLE } from '@flexsync/auth';
import { loadConfig } from '@flexsync/runtime';
import { IsString, MinLength } from 'class-validator';

const USAGE = `usage: node tools/dev/run-ts.js tools/mint-token/mint-token.ts --tenant T --env E [--env-allowed E2 …] [--role tenant_admin …] [--sub S] [--ttl 3600]

Prints an HS256 tenant token signed with AUTH_JWT_SECRET for issuer AUTH_JWT_ISSUER and audience AUTH_JWT_AUDIENCE.`;

/** Minting needs the HS256 secret; services verifying with a JWKS URL take tokens from their identity provider instead. */
class MintTokenConfig implements AuthEnvFields {
  @IsString({ message: 'AUTH_JWT_SECRET must be set (minting signs HS256 tokens)' })
  @MinLength(MIN_JWT_SECRET_LENGTH, { message: `AUTH_JWT_SECRET must be at least ${MIN_JWT_SECRET_LENGTH} characters` })
  AUTH_JWT_SECRET!: string;

  @AuthClaimField()
  AUTH_JWT_ISSUER!: string;

  @AuthClaimField()
  AUTH_JWT_AUDIENCE!: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      env: { type: 'string' },
      'env-allowed': { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
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
  if (!values.tenant || !values.env || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfig('mint-token', MintTokenConfig);
  const token = await mintTenantToken(
    { jwtSecret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER, audience: config.AUTH_JWT_AUDIENCE },
    {
      tenantId: values.tenant,
      environmentId: values.env,
      environmentIds: values['env-allowed'],
      roles: values.role ?? [TENANT_ADMIN_ROLE],
      subject: values.sub,
      ttlSeconds,
    },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
