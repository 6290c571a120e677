import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { SyncPipelineLedger1764600000000 } from './1764600000000-sync-pipeline-ledger';

/** Ordered list of schema migrations; new ones are appended here. */
export const MIGRATIONS = [InitialSchema1764000000000, SyncPipelineLedger1764600000000];
