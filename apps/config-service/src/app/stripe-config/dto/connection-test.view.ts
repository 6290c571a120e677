import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** `200` answer of `POST /v1/stripe/config/test`. */
export class ConnectionTestView {
  @ApiProperty({ enum: ['connected'] })
  status!: 'connected';

  @ApiProperty({ description: 'Whether the key is a live-mode key, as Stripe reports it.' })
  livemode!: boolean;

  @ApiProperty({ example: 'acct_1Nv0FGQ9RKHgCVdK', description: 'The Stripe account the key belongs to; webhooks must name it.' })
  stripe_account_id!: string;

  @ApiProperty({ format: 'date-time' })
  tested_at!: string;
}

/** `401`/`502` answer of `POST /v1/stripe/config/test`: the error envelope plus the recorded status. */
export class ConnectionTestFailureView {
  @ApiProperty({ enum: ['auth_error', 'unreachable'] })
  status!: 'auth_error' | 'unreachable';

  @ApiProperty({ enum: ['STRIPE.AUTH_FAILED', 'STRIPE.UNAVAILABLE'] })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details!: Record<string, unknown>;
}
