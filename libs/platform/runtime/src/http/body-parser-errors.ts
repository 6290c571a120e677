import type { INestApplication } from '@nestjs/common';
import type { ErrorRequestHandler } from 'express';
import type { ErrorBody } from './error-filter';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError & { type: string } {
  return typeof error === 'object' && error !== null && typeof (error as BodyParserError).type === 'string';
}

function describeBodyParserError(error: BodyParserError & { type: string }): ErrorBody {
  if (error.type === 'entity.parse.failed') {
    return {
      code: 'REQUEST.MALFORMED_JSON',
      message: 'request body is not valid JSON',
      details: [{ field: 'body', reason: 'malformed JSON' }],
    };
  }
  if (error.type === 'entity.too.large') {
    return {
      code: 'REQUEST.BODY_TOO_LARGE',
      message: error.limit === undefined ? 'request body is too large' : `request body exceeds the ${error.limit} bytes limit`,
      details: [{ field: 'body', reason: 'too large' }],
    };
  }
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
