import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, ValidateIf } from 'class-validator';
import { PageQuery } from '../../shared/page';

function toBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

/** Query of `GET /v1/stripe/meters/mapping`. */
export class ListMeterMappingsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only mappings with this sync_enabled.' })
  @ValidateIf((query: ListMeterMappingsQuery) => query.sync_enabled !== undefined)
  @Transform(toBoolean)
  @IsBoolean()
  sync_enabled?: boolean;
}
