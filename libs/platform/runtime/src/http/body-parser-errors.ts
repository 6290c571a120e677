import type { INestApplication } from '@nestjs/common';
import type { ErrorRequestHandler } from 'express';
import { DomainError } from '../errors/domain-error';
import { type ErrorBody, errorAnswer } from './error-filter';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError & { type: string } {
  return typeof error === 'object' && error !== null && typeof (error as BodyParserError).type === 'string';
}

/** A request body that is not JSON, as every route answers it (400). */
export function malformedJsonError(): DomainError {
  return new DomainError('REQUEST.MALFORMED_JSON', 'request body is not valid JSON', [{ field: 'body', reason: 'malformed JSON' }]);
}

/** A request body over the service's limit, as every route answers it (400). */
export function bodyTooLargeError(limit: number | undefined): DomainError {
  return new DomainError(
    'REQUEST.BODY_TOO_LARGE',
    limit === undefined ? 'request body is too large' : `request body exceeds the ${limit} bytes limit`,
    [{ field: 'body', reason: 'too large' }],
  );
}

function describeBodyParserError(error: BodyParserError & { type: string }): ErrorBody {
  if (error.type === 'entity.parse.failed') return errorAnswer(malformedJsonError()).body;
  if (error.type === 'entity.too.large') return errorAnswer(bodyTooLargeError(error.limit)).body;
  return { code: 'REQUEST.INVALID', message: 'request body could not be read', details: [{ field: 'body', reason: error.type }] };
}

/**
 * Answers body-parser failures before Nest turns a JSON syntax error into a 400 whose message quotes the body around
 * the error (V8: `Unexpected token 's', ..."api_key": sk_test_SE"...`), which would echo part of a secret.
 * Installed after the body parsers and before the routes.
 */
export function answerBodyParserErrors(app: INestApplication): void {
  const handler: ErrorRequestHandler = (error: unknown, _request, response, next) => {
    if (!isBodyParserError(error) || (error.status ?? 500) >= 500) {
      next(error);
      return;
    }
    response.status(400).json(describeBodyParserError(error));
  };
  app.use(handler);
}
