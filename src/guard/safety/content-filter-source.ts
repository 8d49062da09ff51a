/**
 * CONTENT_FILTER_FILE as it is now: the lists loaded at start-up, replaced when the file changes — no restart.
 *
 * Two ways notice a change, because neither is enough alone: `fs.watch` on the file's folder (an editor's save,
 * or an atomic rename, which a watch on the file itself would lose) reloads soon after the change even when no
 * message comes; and every `current()` compares the file's mtime, size and inode with what was loaded (one
 * `stat`, microseconds), which works where watching does not (some network and container mounts).
 *
 * A change is taken only once the file has been quiet for `settleMs`, so a save caught half-written is not loaded.
 * A file that cannot be read or parsed keeps the last good lists and logs one WARN per broken version (never the
 * lists themselves); the next good version is loaded and logged at INFO.
 */
import { statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ContentFilterFileError, loadContentFilterFile, type ContentRules } from './content-filter-file.js';

export interface ContentFilterSourceOptions {
  /** Absolute path of CONTENT_FILTER_FILE. */
  file: string;
  /** The lists `loadConfig` read at start-up. */
  initial: ContentRules;
  log: Logger;
  /** How long a changed file must stay unchanged before it is loaded, ms (default 100). */
  settleMs?: number;
  /** Watch the folder (default true); the check on use works without. */
  watch?: boolean;
}

export class ContentFilterSource {
  readonly #file: string;
  readonly #log: Logger;
  readonly #settleMs: number;
  #rules: ContentRules;
  /** The version of the file the current lists (or the last reported failure) came from. */
  #loadedVersion: string | undefined;
  #failedVersion: string | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ContentFilterSourceOptions) {
    this.#file = options.file;
    this.#log = options.log;
    this.#settleMs = options.settleMs ?? 100;
    this.#rules = options.initial;
    this.#loadedVersion = version(this.#stat());
    if (options.watch !== false) this.#watch();
  }

  /** The lists to use now (reloaded first if the file changed). */
  current(): ContentRules {
    this.#check();
    return this.#rules;
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearTimeout(this.#timer);
  }

  #watch(): void {
    const name = path.basename(this.#file);
    try {
      this.#watcher = watch(path.dirname(this.#file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.#schedule(this.#settleMs);
      });
      this.#watcher.on('error', (error) => {
        this.#log.warn({ err: error, file: this.#file }, 'cannot watch the content filter file any more; changes are still picked up when a message is checked');
        this.close();
      });
    } catch (error) {
      this.#log.warn({ err: error, file: this.#file }, 'cannot watch the content filter file; changes are picked up when a message is checked');
    }
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#check(), delayMs);
    this.#timer.unref();
  }

  #stat(): Stats | undefined {
    try {
      return statSync(this.#file, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  }

  #check(): void {
    const stats = this.#stat();
    const current = version(stats);
    if (current === this.#loadedVersion || current === this.#failedVersion) return;
    if (stats === undefined) {
      this.#failed(current, ['the file is gone']);
      return;
    }
    // Slightly negative right after a write (the mtime has sub-millisecond precision, Date.now() not). A file far in
    // the future (another host's clock, on a network mount) would never be quiet: beyond a minute it is not waited for.
    const quietFor = Date.now() - stats.mtimeMs;
    if (quietFor > -60_000 && quietFor < this.#settleMs) {
      this.#schedule(Math.min(this.#settleMs - quietFor, 2 * this.#settleMs));
      return;
    }
    let rules: ContentRules;
    try {
      rules = loadContentFilterFile(this.#file);
    } catch (error) {
      if (!(error instanceof ContentFilterFileError)) throw error;
      this.#failed(current, error.problems);
      return;
    }
    // Changed again while it was read: taken on the next check, once it is quiet.
    if (version(this.#stat()) !== current) return this.#schedule(this.#settleMs);
    this.#rules = rules;
    this.#loadedVersion = current;
    this.#failedVersion = undefined;
    this.#log.info({ file: this.#file, incoming: rules.incoming.size, outgoing: rules.outgoing.size }, 'content filter reloaded');
  }

  #failed(current: string, problems: string[]): void {
    this.#failedVersion = current;
    this.#log.warn({ file: this.#file, problems }, 'content filter file not usable; keeping the lists loaded before');
  }
}

/** What identifies one version of the file: an editor's save changes the mtime, an atomic rename the inode. */
function version(stats: Stats | undefined): string {
  return stats === undefined ? 'missing' : `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}
