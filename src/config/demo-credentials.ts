/**
 * Credentials for demo mode (no WeChat account configured). Generated once per machine and kept in
 * `demo-credentials.json` beside `TOKEN_FILE_PATH`, so the server and `wx-backend simulate` — two processes
 * that each load the configuration — sign and encrypt with the same token and key.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const DEMO_CREDENTIALS_FILE_NAME = 'demo-credentials.json';

export interface DemoCredentials {
  appId: string;
  token: string;
  /** 43-character EncodingAESKey. */
  aesKey: string;
}

const storedCredentialsSchema = z.object({
  appId: z.string().regex(/^wx[0-9a-f]{16}$/),
  token: z.string().regex(/^[A-Za-z0-9]{3,32}$/),
  aesKey: z.string().regex(/^[A-Za-z0-9]{43}$/),
});

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniformly random letters and digits (rejection sampling keeps every character equally likely). */
function randomAlphanumeric(length: number): string {
  let result = '';
  while (result.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && result.length < length) result += ALPHANUMERIC[byte % ALPHANUMERIC.length];
    }
  }
  return result;
}

/** Fresh credentials shaped like real ones: token as WeChat allows (≤ 32 letters and digits), AppID `wx` + 16 hex. */
export function generateDemoCredentials(): DemoCredentials {
  return {
    appId: `wx${randomBytes(8).toString('hex')}`,
    token: randomAlphanumeric(32),
    aesKey: randomAlphanumeric(43),
  };
}

export function demoCredentialsPath(tokenFilePath: string): string {
  return path.join(path.dirname(tokenFilePath), DEMO_CREDENTIALS_FILE_NAME);
}

function readStoredCredentials(file: string): DemoCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = storedCredentialsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Unreadable JSON (e.g. a hand edit gone wrong): replaced by fresh credentials.
    return undefined;
  }
}

/**
 * Returns the stored demo credentials, generating and storing them first when the file is missing or invalid.
 * The file is private (mode 0600) and written atomically (temporary file + rename), so a concurrent reader
 * never sees half a file. Throws the file-system error when the folder cannot be created or written.
 */
export function loadOrCreateDemoCredentials(tokenFilePath: string): DemoCredentials {
  const file = demoCredentialsPath(tokenFilePath);
  const stored = readStoredCredentials(file);
  if (stored) {
    try {
      chmodSync(file, 0o600);
    } catch {
      // Keeping a working file matters more than tightening its mode.
    }
    return stored;
  }
  const credentials = generateDemoCredentials();
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify({ ...credentials, createdAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return credentials;
}
