import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldProblemView {
  @ApiProperty({ example: 'meter_id' })
  field!: string;

  @ApiProperty({ example: 'meter_id should not be empty' })
  reason!: string;
}

/** Every error answer, in every service's OpenAPI document: `{ code, message, details }`. */
export class ErrorView {
  @ApiProperty({ example: 'REQUEST.INVALID' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ type: [FieldProblemView], description: 'Field-level reasons for REQUEST.* codes; an object for others.' })
  details?: FieldProblemView[] | Record<string, unknown>;
}
