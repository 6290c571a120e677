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
    const { status, body } = this.describe(exception);
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
    if (exception instanceof DomainError && exception.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    response.status(status).json(body);
  }

  private describe(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof DomainError) {
      return { status: exception.status, body: { code: exception.code, message: exception.message, details: exception.details } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code =
        status === HttpStatus.NOT_FOUND ? 'ROUTE.NOT_FOUND' : status === HttpStatus.UNAUTHORIZED ? 'AUTH.INVALID_TOKEN' : `HTTP.${status}`;
      return { status, body: { code, message: exception.message } };
    }
    return { status: 500, body: { code: 'INTERNAL', message: 'internal error' } };
  }
}
