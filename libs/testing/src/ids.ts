import { randomUUID } from 'node:crypto';

export interface TestTenant {
  tenantId: string;
  environmentId: string;
}

/** Every test works in a tenant of its own, so tests share one database without truncating each other's rows. */
export function uniqueTenant(label = 'test'): TestTenant {
  const suffix = randomUUID().slice(0, 8);
  return { tenantId: `tenant_${label}_${suffix}`, environmentId: `env_${label}_${suffix}` };
}

export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new Error(`timed out waiting for ${options.what ?? 'condition'}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}
