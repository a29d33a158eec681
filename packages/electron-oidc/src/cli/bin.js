#!/usr/bin/env node
// The package's `bin`. Plain JavaScript so that every Node gets a one-line
// answer instead of a stack trace: the CLI itself is TypeScript run by Node's
// type stripping (Node >= 23.6; this project targets Node 24), which Node
// refuses for files under node_modules. Inside this workspace the package is
// a symlink to packages/electron-oidc, so the real path is outside
// node_modules and this works; a copy installed from a registry would need
// the package to ship compiled JavaScript.
if (!process.features.typescript) {
  process.stderr.write(
    `electron-oidc: needs Node.js 24 or later with type stripping (this is ${process.version}).\n`,
  );
  process.exit(1);
}
try {
  await import('./main.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') throw err;
  process.stderr.write(
    'electron-oidc: this copy is installed under node_modules, where Node does not run TypeScript; run it from the workspace (npm run cli -- <command>) or from a build that ships JavaScript.\n',
  );
  process.exit(1);
}
