import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldProblemView {
  @ApiProperty({ example: 'aggregation_window_minutes' })
  field!: string;

  @ApiProperty({ example: 'aggregation_window_minutes must divide 60, or be a multiple of 60 that divides 1440' })
  reason!: string;
}

/** Every error answer: `{ code, message, details }`; validation errors list each field with its reason. */
export class ErrorView {
  @ApiProperty({ example: 'REQUEST.INVALID' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ type: [FieldProblemView], description: 'Field-level reasons for REQUEST.* codes; an object for others.' })
  details?: FieldProblemView[] | Record<string, unknown>;
}
