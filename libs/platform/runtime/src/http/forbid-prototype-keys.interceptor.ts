import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { DomainError } from '../errors/domain-error';

const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * JSON.parse keeps a `"__proto__"` key as an own property and class-transformer then drops it silently; an unknown
 * field must be refused like any other, so it is caught here, before the validation pipe.
 */
@Injectable()
export class ForbidPrototypeKeysInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const body: unknown = context.switchToHttp().getRequest<Request>().body;
    if (typeof body === 'object' && body !== null) {
      const reserved = RESERVED_KEYS.filter((key) => Object.prototype.hasOwnProperty.call(body, key));
      if (reserved.length > 0) {
        const details = reserved.map((field) => ({ field, reason: `property ${field} should not exist` }));
        throw new DomainError('REQUEST.INVALID', details.map((d) => `${d.field}: ${d.reason}`).join('; '), details);
      }
    }
    return next.handle();
  }
}
