import { Column, CreateDateColumn, UpdateDateColumn } from 'typeorm';

/** Every row belongs to one tenant and one environment; every query filters by both. */
export abstract class TenantScopedEntity {
  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'environment_id', type: 'text' })
  environmentId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export type { TenantScope } from '@flexsync/tenancy';
