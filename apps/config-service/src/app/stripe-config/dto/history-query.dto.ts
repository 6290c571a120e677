import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

function toInteger({ value }: { value: unknown }): unknown {
  return typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : value;
}

/** Query of `GET /v1/stripe/config/history`: newest first, paged by audit id. */
export class HistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Return entries older than this audit id (the previous page’s next_before).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  before?: number;
}
