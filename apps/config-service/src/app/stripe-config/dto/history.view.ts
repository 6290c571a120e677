import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { StripeConfigAudit } from '@flexsync/persistence';

export class HistoryEntryView {
  @ApiProperty({ description: 'Audit id; pass it as `before` to page.' })
  id!: number;

  @ApiProperty({ enum: ['created', 'updated', 'deleted', 'tested', 'rotated'] })
  action!: string;

  @ApiProperty({ description: 'Token subject (or system actor) that made the change.' })
  actor!: string;

  @ApiProperty({ type: [String], description: 'Names of changed fields; secret values are never recorded.' })
  changed_fields!: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  detail!: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;
}

export class HistoryView {
  @ApiProperty({ type: [HistoryEntryView] })
  entries!: HistoryEntryView[];

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Pass as `before` for the next page; null on the last page.' })
  next_before!: number | null;
}

export function toHistoryEntryView(entry: StripeConfigAudit): HistoryEntryView {
  return {
    id: Number(entry.id),
    action: entry.action,
    actor: entry.actor,
    changed_fields: entry.changedFields,
    detail: entry.detail,
    created_at: entry.createdAt.toISOString(),
  };
}
