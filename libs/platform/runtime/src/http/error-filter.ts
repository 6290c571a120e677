import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

function isHealthReport(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'status' in value && 'details' in value && 'error' in value;
}

/** The one place errors become HTTP answers: `{ code, message, details }`, never a stack trace. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const { status, body, headers } = errorAnswer(exception);
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // A failing readiness check answers 503 with terminus' per-dependency report, which operators read as is.
      response.status(status).json(exception.getResponse());
      return;
    }
    if (exception instanceof DomainError && status >= 500) {
      // An expected outage (Kafka, Temporal, Stripe down): one line with its cause, no stack trace.
      const cause = exception.cause instanceof Error ? exception.cause.message : undefined;
      this.logger.warn({ path: request.path, code: body.code, cause }, exception.message);
    } else if (status >= 500) {
      this.logger.error({ err: exception, path: request.path, code: body.code }, 'request failed');
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(status).json(body);
  }
}

/** How an error is answered: its status, the house body and headers (`Retry-After`). */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/**
 * The one rule turning an error into an HTTP answer, for {@link HttpErrorFilter} and for a route served below Nest
 * (webhook-ingest's Stripe webhook route): a typed error answers with its own status and code, anything else 500.
 */
export function errorAnswer(exception: unknown): ErrorAnswer {
  if (exception instanceof DomainError) {
    return {
      status: exception.status,
      body: { code: exception.code, message: exception.message, details: exception.details },
      headers: exception.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(exception.retryAfterSeconds) },
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code =
      status === HttpStatus.NOT_FOUND ? 'ROUTE.NOT_FOUND' : status === HttpStatus.UNAUTHORIZED ? 'AUTH.INVALID_TOKEN' : `HTTP.${status}`;
    return { status, body: { code, message: exception.message }, headers: {} };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'internal error' }, headers: {} };
}
