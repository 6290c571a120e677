import type { IncomingMessage } from 'node:http';
import { LoggerModule, Params } from 'nestjs-pino';
import type { DynamicModule } from '@nestjs/common';
import { redactingPinoOptions } from './log-redaction';

/**
 * Paths pino's fast path never prints (request headers). Secret keys at any other depth, secrets inside strings and
 * failed queries' parameters are handled by `redactingPinoOptions` (see log-redaction.ts), which every logger uses too.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  '*.api_key',
  '*.apiKey',
  '*.webhook_secret',
  '*.webhookSecret',
  '*.secret',
  '*.password',
  '*.token',
  'api_key',
  'webhook_secret',
];

/** Request context the auth guard fills in, so every request log line carries tenant and environment. */
export interface TenantScopedRequest extends IncomingMessage {
  tenantId?: string;
  environmentId?: string;
  /** The caller's token `sub` and role, so each line says who acted. */
  subject?: string;
  actingAs?: string;
}

export function createLoggerModule(service: string, level: string): DynamicModule {
  const params: Params = {
    pinoHttp: {
      level,
      base: { service },
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      ...redactingPinoOptions(),
      customProps: (req: IncomingMessage) => {
        const scoped = req as TenantScopedRequest;
        return scoped.tenantId
          ? { tenant_id: scoped.tenantId, environment_id: scoped.environmentId, sub: scoped.subject, acting_as: scoped.actingAs }
          : {};
      },
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)/.test(req.url ?? '') },
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: req.url }),
      },
    },
  };
  return LoggerModule.forRoot(params);
}
