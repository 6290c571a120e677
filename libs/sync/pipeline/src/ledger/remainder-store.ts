import type { EntityManager } from 'typeorm';
import { ValueRemainderStore, type TenantScope } from '@flexsync/persistence';
import { normalizeDecimal } from '../decimal';
import { seriesKeyOf, type RemainderUpdate, type SeriesKey, type SeriesRemainder } from './ledger-rows';

const remainders = new ValueRemainderStore();

/** The carried fractions of the given series, by series key (design rule 6), through `ValueRemainderStore`. */
export async function readRemainders(
  manager: EntityManager,
  scope: TenantScope,
  keys: readonly SeriesKey[],
): Promise<Map<string, SeriesRemainder>> {
  const rows = await remainders.read(manager, scope, keys);
  return new Map(rows.map((row) => [seriesKeyOf(row), { precision: row.precision, remainder: normalizeDecimal(row.remainder) }]));
}

export function storeRemainders(manager: EntityManager, scope: TenantScope, updates: readonly RemainderUpdate[]): Promise<void> {
  return remainders.write(manager, scope, updates);
}
