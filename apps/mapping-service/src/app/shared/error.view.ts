import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldProblemView {
  @ApiProperty({ example: 'meter_id' })
  field!: string;

  @ApiProperty({ example: 'meter_id should not be empty' })
  reason!: string;
}

/** Every error answer: `{ code, message, details }`; validation errors list each field with its reason. */
export class ErrorView {
  @ApiProperty({ example: 'MAPPING.DUPLICATE' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ type: [FieldProblemView], description: 'Field-level reasons for REQUEST.* codes; an object for others.' })
  details?: FieldProblemView[] | Record<string, unknown>;
}
