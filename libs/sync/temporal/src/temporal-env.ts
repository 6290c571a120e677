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

/** `TEMPORAL_TASK_QUEUE`: `stripe-sync` (playbook §7); another queue only to isolate a deployment, e.g. in tests. */
export function TemporalTaskQueueField(): PropertyDecorator {
  return applyDecorators(IsString(), IsNotEmpty());
}
