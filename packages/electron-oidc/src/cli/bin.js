#!/usr/bin/env node
// The package's `bin`. Plain JavaScript so that an old Node gets a one-line
// answer instead of a syntax error: the CLI itself is TypeScript run by
// Node's type stripping (Node >= 23.6; this project targets Node 24).
if (!process.features.typescript) {
  process.stderr.write(
    `electron-oidc: needs Node.js 24 or later with type stripping (this is ${process.version}).\n`,
  );
  process.exit(1);
}
await import('./main.ts');
