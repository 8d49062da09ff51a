/**
 * Who an instance is in the metrics: its `instance` label and the version it runs. The id is the host name (a
 * container's id under Docker), the process id and a short random suffix, so that a restarted process on the same
 * host — same name, possibly the same pid — is a new series, and two instances sharing Redis never collide.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface MetricsIdentity {
  instance: string;
  version: string;
}

export function metricsIdentity(): MetricsIdentity {
  return { instance: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`, version: packageVersion() };
}

/** `version` of package.json, two folders up from this module in `src/` and in `dist/` alike; `unknown` if unreadable. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
