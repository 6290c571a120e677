import type { Admin, Kafka } from 'kafkajs';
import type { DependencyCheck } from '@flexsync/observability';
import { withTimeout } from '@flexsync/runtime';

export interface KafkaCheck extends DependencyCheck {
  /** Closes the probe's admin connection (call on shutdown). */
  close(): Promise<void>;
}

/**
 * Readiness probe: a `describeCluster` round trip. A failed probe drops its admin client so the next one
 * reconnects from scratch once the broker is back.
 */
export function kafkaCheck(kafka: Kafka, options: { timeoutMs?: number; name?: string } = {}): KafkaCheck {
  const timeoutMs = options.timeoutMs ?? 1000;
  let admin: Admin | undefined;

  const reset = async (): Promise<void> => {
    const current = admin;
    admin = undefined;
    await current?.disconnect().catch(() => undefined);
  };

  return {
    name: options.name ?? 'kafka',
    probe: async () => {
      try {
        return await withTimeout(
          (async () => {
            if (!admin) {
              const fresh = kafka.admin({ retry: { retries: 0 } });
              await fresh.connect();
              admin = fresh;
            }
            const cluster = await admin.describeCluster();
            if (cluster.brokers.length === 0) throw new Error('kafka cluster reports no brokers');
            return { brokers: cluster.brokers.length };
          })(),
          timeoutMs,
          'kafka',
        );
      } catch (error) {
        await reset();
        throw error;
      }
    },
    close: reset,
  };
}
