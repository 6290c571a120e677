import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ConfigAuditAction = 'created' | 'updated' | 'deleted' | 'tested' | 'rotated';

/** Who changed which fields of a config, and when. Holds field names only, never secret values. */
@Entity({ name: 'stripe_config_audit' })
export class StripeConfigAudit {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'environment_id', type: 'text' })
  environmentId!: string;

  @Column({ name: 'actor', type: 'text' })
  actor!: string;

  @Column({ name: 'action', type: 'text' })
  action!: ConfigAuditAction;

  @Column({ name: 'changed_fields', type: 'text', array: true, default: () => "'{}'" })
  changedFields!: string[];

  @Column({ name: 'detail', type: 'jsonb', nullable: true })
  detail!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
