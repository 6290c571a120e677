import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, Matches } from 'class-validator';

/** `TEMPORAL_ADDRESS`: required `host:port` of the Temporal frontend. */
export function TemporalAddressField(): PropertyDecorator {
  return applyDecorators(IsString(), Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: '$property must be host:port' }));
}

/** `TEMPORAL_NAMESPACE`. */
export function TemporalNamespaceField(): PropertyDecorator {
  return applyDecorators(IsString(), IsNotEmpty());
}
