import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleSyncWorkflows } from '@flexsync/temporal';

/** Prebuilds the workflow bundle for production images, so workers start without webpack. */
async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'dist/workflows/bundle.js');
  const { code } = await bundleSyncWorkflows();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  process.stdout.write(`workflow bundle written to ${out} (${code.length} bytes)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
