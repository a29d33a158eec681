import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { IdpConfigError, loadIdpConfig } from './config.ts';
import { KEYS_FILE } from './keys.ts';

// `npm run idp:reset`: forgets the provider's keys, grants, sessions and refresh
// tokens. Only the files the provider writes are removed (never a whole folder
// named by IDP_DATA_DIR), so a mistyped variable cannot delete anything else.
// Stop the provider first: a running one would write its state back.
let dataDir: string;
try {
  ({ dataDir } = loadIdpConfig(process.env));
} catch (error) {
  if (error instanceof IdpConfigError) {
    console.error(`dev-idp reset: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

await rm(path.join(dataDir, KEYS_FILE), { force: true });
await rm(path.join(dataDir, 'store'), { recursive: true, force: true });
await rmdir(dataDir).catch(() => undefined);
console.log(`dev-idp: reset ${dataDir}; the next start creates new keys, and everyone signs in again.`);
