import { applyDecorators } from '@nestjs/common';
import { ArrayNotEmpty, IsArray } from 'class-validator';
import { IsBrokerList, ListFromEnv } from '@flexsync/runtime';

/** `KAFKA_BROKERS`: required comma-separated `host:port` list, parsed into an array. */
export function KafkaBrokersField(): PropertyDecorator {
  return applyDecorators(ListFromEnv(), IsArray(), ArrayNotEmpty(), IsBrokerList());
}
