import type { EntityManager } from 'typeorm';
import { SyncWindowStore, type TenantScope } from '@flexsync/persistence';
import type { LedgerWindow } from './ledger-rows';

const windows = new SyncWindowStore();

/** Records the window the ledger is about to fill (`SyncWindowStore.register`; refuses a window of another size that overlaps). */
export function registerSyncWindow(manager: EntityManager, scope: TenantScope, window: LedgerWindow): Promise<void> {
  return windows.register(manager, scope, window);
}
