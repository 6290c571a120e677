import { Client, Connection } from '@temporalio/client';
import type { DependencyCheck } from '@flexsync/observability';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address, connectTimeout: '5 seconds' });
  return new Client({ connection, namespace: settings.namespace });
}

/** Readiness probe: the Temporal frontend answers and our namespace exists. */
export function temporalCheck(client: Client): DependencyCheck {
  return {
    name: 'temporal',
    probe: () => client.connection.workflowService.describeNamespace({ namespace: client.options.namespace }),
  };
}
