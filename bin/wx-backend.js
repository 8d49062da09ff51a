#!/usr/bin/env node
// Launcher for the compiled CLI (dist/, built by `npm install` through the prepare script, or `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('wx-backend is not built yet: run `npm run build` (npm install does it too).');
  process.exit(1);
}
await import(entry.href);
