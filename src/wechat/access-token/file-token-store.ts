import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { LocalLockTable } from './local-lock-table.js';
import type { StoredCredential, TokenStore, TokenStoreLock } from './token-store.js';

/** Layout of the file; `appId` is the account every entry belongs to. */
interface TokenFile {
  version: 1;
  appId: string;
  credentials: Record<string, StoredCredential>;
}

/** What identifies one version of the file on disk; an atomic replace always changes the inode. */
interface FileSignature {
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface FileTokenStoreOptions {
  /** `TOKEN_FILE_PATH`; its folder is created when missing. */
  path: string;
  /** The account this store serves: a file written for another appid is ignored, never reused. */
  appId: string;
  log: Logger;
  /** Clock in epoch milliseconds for expiry (tests move it forward); default `Date.now`. */
  now?: () => number;
}

/**
 * The token store of a single instance without Redis: one JSON file, so that a restart does not fetch (and,
 * with some WeChat APIs, invalidate) a credential that is still valid. The file holds secrets: it is written with
 * mode 0600, atomically (a temporary file in the same folder, then rename), so a crash never leaves half a file.
 *
 * The file is re-read whenever it changed on disk, so another process using it (the `wx-backend token` CLI) is
 * seen; such processes do not lock each other out, which at worst costs one extra fetch. A missing, unreadable or
 * corrupt file, or one written for another appid, counts as empty (with a warning) and is replaced on the next
 * write. When the file cannot be written, the store keeps working from memory and says so in the log.
 * Locks are held in this process only.
 */
export class FileTokenStore implements TokenStore {
  readonly #path: string;
  readonly #appId: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #locks: LocalLockTable;
  /** The entries as last read or written; the authority in this process. */
  #credentials = new Map<string, StoredCredential>();
  /** The file version `#credentials` reflects; `undefined` while the file does not exist (or was never written). */
  #signature: FileSignature | undefined;
  /** Writes run one at a time, each on top of the previous one's result. */
  #writeChain: Promise<unknown> = Promise.resolve();
  /** The check of the file in progress: reads that start meanwhile wait for it rather than see it half done. */
  #reloading: Promise<void> | undefined;
  /** Problems reported since the file was last read or written fine, so each is reported once, not on every read. */
  readonly #reportedProblems = new Set<string>();

  constructor(options: FileTokenStoreOptions) {
    this.#path = path.resolve(options.path);
    this.#appId = options.appId;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#locks = new LocalLockTable(this.#now);
  }

  async get(key: string): Promise<StoredCredential | undefined> {
    await this.#reloadIfChanged();
    const credential = this.#credentials.get(key);
    if (credential === undefined || credential.expiresAt <= this.#now()) return undefined;
    return { ...credential };
  }

  set(key: string, credential: StoredCredential): Promise<void> {
    return this.#update((credentials) => {
      credentials.set(key, { value: credential.value, expiresAt: credential.expiresAt, obtainedAt: credential.obtainedAt });
      return true;
    }).then(() => undefined);
  }

  deleteIfValue(key: string, value: string): Promise<boolean> {
    return this.#update((credentials) => credentials.get(key)?.value === value && credentials.delete(key));
  }

  async acquireLock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    return this.#locks.acquire(key, ttlMs);
  }

  async close(): Promise<void> {
    await this.#writeChain;
    this.#locks.clear();
  }

  /**
   * Applies `change` to the current entries (re-read first if the file changed) and writes the file when it
   * reports a change. Resolves what `change` returned.
   */
  #update(change: (credentials: Map<string, StoredCredential>) => boolean): Promise<boolean> {
    const result = this.#writeChain.then(async () => {
      await this.#reloadIfChanged();
      const credentials = new Map(this.#credentials);
      if (!change(credentials)) return false;
      const now = this.#now();
      for (const [key, credential] of credentials) {
        if (credential.expiresAt <= now) credentials.delete(key);
      }
      this.#credentials = credentials;
      await this.#write(credentials);
      return true;
    });
    this.#writeChain = result.catch(() => undefined);
    return result;
  }

  async #write(credentials: Map<string, StoredCredential>): Promise<void> {
    const content: TokenFile = { version: 1, appId: this.#appId, credentials: Object.fromEntries(credentials) };
    const temporaryPath = `${this.#path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(path.dirname(this.#path), { recursive: true, mode: 0o700 });
      // 'wx' creates the file, so the mode applies; the umask can only narrow 0600 further.
      const handle = await open(temporaryPath, 'wx', 0o600);
      let signature: FileSignature;
      try {
        await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`, 'utf8');
        await handle.sync();
        signature = signatureOf(await handle.stat());
      } finally {
        await handle.close();
      }
      await rename(temporaryPath, this.#path);
      // The renamed file is the inode just written: remembering its signature avoids re-reading our own write.
      this.#signature = signature;
      this.#reportedProblems.clear();
    } catch (error) {
      await unlink(temporaryPath).catch(() => undefined);
      this.#report('error', `cannot write the token file ${this.#path} (${describeError(error)}); credentials are kept in memory only and are fetched again after a restart`);
    }
  }

  #reloadIfChanged(): Promise<void> {
    this.#reloading ??= this.#reload().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    let current: FileSignature;
    try {
      current = signatureOf(await stat(this.#path));
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        this.#report('warn', `cannot read the token file ${this.#path} (${describeError(error)}); treating it as empty`);
        return;
      }
      // Deleted after it existed (e.g. by an operator to force a new fetch): forget its entries. A file that never
      // existed (or could not be written) leaves the in-memory entries alone.
      if (this.#signature !== undefined) this.#credentials = new Map();
      this.#signature = undefined;
      return;
    }
    if (this.#signature !== undefined && sameSignature(this.#signature, current)) return;
    this.#credentials = await this.#read(current);
    this.#signature = current;
  }

  async #read(signature: FileSignature): Promise<Map<string, StoredCredential>> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      this.#report('warn', `cannot read the token file ${this.#path} (${describeError(error)}); treating it as empty`);
      return new Map();
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.#report('warn', `the token file ${this.#path} is corrupt (not JSON, ${signature.size} bytes); treating it as empty, it is replaced on the next write`);
      return new Map();
    }
    if (!isRecord(parsed) || typeof parsed.appId !== 'string' || !isRecord(parsed.credentials)) {
      this.#report('warn', `the token file ${this.#path} has an unknown layout; treating it as empty, it is replaced on the next write`);
      return new Map();
    }
    if (parsed.appId !== this.#appId) {
      this.#report('warn', `the token file ${this.#path} belongs to appid ${parsed.appId}, not ${this.#appId}; its credentials are ignored and replaced on the next write`);
      return new Map();
    }
    const credentials = new Map<string, StoredCredential>();
    for (const [key, entry] of Object.entries(parsed.credentials)) {
      if (isStoredCredential(entry)) credentials.set(key, { value: entry.value, expiresAt: entry.expiresAt, obtainedAt: entry.obtainedAt });
    }
    this.#reportedProblems.clear();
    return credentials;
  }

  #report(level: 'warn' | 'error', problem: string): void {
    if (this.#reportedProblems.has(problem)) return;
    this.#reportedProblems.add(problem);
    this.#log[level]({ tokenFile: this.#path }, problem);
  }
}

function signatureOf(stats: { ino: number; size: number; mtimeMs: number }): FileSignature {
  return { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

function sameSignature(first: FileSignature, second: FileSignature): boolean {
  return first.ino === second.ino && first.size === second.size && first.mtimeMs === second.mtimeMs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStoredCredential(value: unknown): value is StoredCredential {
  return isRecord(value) && typeof value.value === 'string' && value.value !== ''
    && Number.isFinite(value.expiresAt) && Number.isFinite(value.obtainedAt);
}

function errorCode(error: unknown): string | undefined {
  return isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
}

/** The error's code or message; file-system errors name paths, never file contents. */
function describeError(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}
