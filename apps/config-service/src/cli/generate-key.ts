import { generateKeyringEntry } from '@flexsync/crypto';

/**
 * Prints a new keyring entry `id:<base64 of 32 random bytes>` to prepend to FLEXSYNC_ENCRYPTION_KEYS.
 * usage: node tools/dev/run-ts.js apps/config-service/src/cli/generate-key.ts <key-id>
 */
const keyId = process.argv[2];
if (!keyId) {
  process.stderr.write('usage: node tools/dev/run-ts.js apps/config-service/src/cli/generate-key.ts <key-id>\n');
  process.exit(2);
}
process.stdout.write(`${generateKeyringEntry(keyId)}\n`);
