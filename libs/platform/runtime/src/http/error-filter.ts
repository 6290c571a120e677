import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function fromBodyParser(error: BodyParserError | undefined): { status: number; body: ErrorBody } | undefined {
  if (error?.type === 'entity.parse.failed') {
    return {
      status: 400,
      body: {
        code: 'REQUEST.MALFORMED_JSON',
        message: 'request body is not valid JSON',
        details: [{ field: 'body', reason: 'malformed JSON' }],
      },
    };
  }
  if (error?.type === 'entity.too.large') {
    return {
      status: 400,
      body: {
        code: 'REQUEST.BODY_TOO_LARGE',
        message: `request body exceeds ${error.limit ?? 'the'} bytes limit`,
        details: [{ field: 'body', reason: 'too large' }],
      },
    };
  }
  if (error?.type && error.status && error.status < 500) {
    return {
      status: 400,
      body: { code: 'REQUEST.INVALID', message: 'request body could not be read', details: [{ field: 'body', reason: error.type }] },
    };
  }
  return undefined;
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
    if (status >= 500) {
      this.logger.error({ err: exception, path: request.path, code: body.code }, 'request failed');
    }
    response.status(status).json(body);
  }

  private describe(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof DomainError) {
      return { status: exception.status, body: { code: exception.code, message: exception.message, details: exception.details } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const parsed = fromBodyParser(exception.cause as BodyParserError | undefined);
      if (parsed) return parsed;
      const code =
        status === HttpStatus.NOT_FOUND ? 'ROUTE.NOT_FOUND' : status === HttpStatus.UNAUTHORIZED ? 'AUTH.INVALID_TOKEN' : `HTTP.${status}`;
      return { status, body: { code, message: exception.message } };
    }
    const parsed = fromBodyParser(exception as BodyParserError);
    if (parsed) return parsed;
    return { status: 500, body: { code: 'INTERNAL', message: 'internal error' } };
  }
}
