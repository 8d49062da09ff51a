/**
 * Content safety (SPEC §8): the keyword lists of CONTENT_FILTER_FILE for the users' messages and the AI's
 * answers, and the optional moderation endpoint for answers — assembled from the configuration, with one place
 * that counts and logs what was found.
 *
 * Where it acts: incoming text in a router pre-handler (incoming-safety-handler.ts), before the agent handler
 * queues the message; answers in jobs/produce-answer.ts, between the model's stream and the live answer
 * (answer-screen.ts). Echo (`EXTERNAL_SERVICE_TYPE=echo`) answers with the user's own, already screened, text.
 *
 * Logging: a finding is one INFO line — direction, action, what found it (`keyword`, `moderation`,
 * `moderation_error`), moderation categories — never the text or the words of the lists; the text and the
 * matching entries only at DEBUG. Counted in `wx_content_blocked_total{direction,action}`.
 *
 * MODERATION_ON_ERROR defaults to `allow`: moderation is an optional second check behind the keyword lists, which
 * always apply; failing closed would turn an outage of the moderation service into an outage of every answer.
 * Each failure is a WARN line and `wx_moderation_checks_total{result="error"}`. Operators who must not send an
 * unmoderated answer set `block`.
 */
import type { Logger } from 'pino';
import type { ContentSafetyConfig } from '../../config/app-config.js';
import type { LiveAnswer } from '../../delivery/live-answer.js';
import type { Metrics } from '../../metrics/metrics.js';
import { AnswerScreen, type AnswerChecks } from './answer-screen.js';
import { ContentFilterSource } from './content-filter-source.js';
import { ModerationClient, type Moderation } from './moderation-client.js';
import type { ScreenResult } from './word-list.js';

export type Direction = 'incoming' | 'outgoing';
export type FoundBy = 'keyword' | 'moderation' | 'moderation_error';
export type ModerationOnError = 'allow' | 'block';

export interface Finding {
  direction: Direction;
  action: 'block' | 'mask';
  by: FoundBy;
  /** The text checked: logged at DEBUG only. */
  text: string;
  matched?: string[];
  categories?: string[];
}

export interface ContentSafetyOptions {
  blockedMessage: string;
  source?: ContentFilterSource;
  moderation?: Moderation;
  moderationOnError?: ModerationOnError;
  log: Logger;
  metrics?: Metrics;
}

const PASS = (text: string): ScreenResult => ({ action: 'pass', text, matched: [] });

export class ContentSafety {
  readonly blockedMessage: string;
  readonly #options: ContentSafetyOptions;

  constructor(options: ContentSafetyOptions) {
    this.#options = options;
    this.blockedMessage = options.blockedMessage;
  }

  /** Checks `text` against the direction's lists (a pass without CONTENT_FILTER_FILE). Records nothing. */
  screen(direction: Direction, text: string): ScreenResult {
    const rules = this.#options.source?.current();
    return rules === undefined ? PASS(text) : rules[direction].screen(text);
  }

  /** Screens an answer as it streams into `answer` (see answer-screen.ts); `log` carries the message's key. */
  screenAnswer(answer: LiveAnswer, log: Logger): AnswerScreen {
    const { moderation } = this.#options;
    const checks: AnswerChecks = {
      blockedMessage: this.blockedMessage,
      screen: (direction, text) => this.screen(direction, text),
      noted: (finding) => this.noted(finding, log),
      ...(moderation ? { moderate: (text: string) => this.#moderate(moderation, text, log) } : {}),
    };
    return new AnswerScreen(answer, checks);
  }

  /** Counts a finding and logs it: INFO without content, DEBUG with it. */
  noted(finding: Finding, log: Logger): void {
    const { direction, action, by, text, matched, categories } = finding;
    this.#options.metrics?.contentBlocked.inc({ direction, action });
    const summary = { direction, action, by, ...(categories && categories.length > 0 ? { categories } : {}) };
    log.info(summary, action === 'block' ? 'content blocked' : 'content masked');
    log.debug({ ...summary, text, ...(matched ? { matched } : {}) }, 'content safety finding');
  }

  close(): void {
    this.#options.source?.close();
  }

  async #moderate(moderation: Moderation, text: string, log: Logger): Promise<{ allowed: true } | { allowed: false; by: 'moderation' | 'moderation_error'; categories?: string[] }> {
    const counter = this.#options.metrics?.moderationChecks;
    try {
      const verdict = await moderation.check(text);
      counter?.inc({ result: verdict.flagged ? 'flagged' : 'passed' });
      return verdict.flagged ? { allowed: false, by: 'moderation', categories: verdict.categories } : { allowed: true };
    } catch (error) {
      counter?.inc({ result: 'error' });
      const block = this.#options.moderationOnError === 'block';
      log.warn({ error: error instanceof Error ? error.message : String(error), onError: block ? 'block' : 'allow' }, `moderation failed: the answer is ${block ? 'blocked' : 'sent unmoderated'} (MODERATION_ON_ERROR)`);
      return block ? { allowed: false, by: 'moderation_error' } : { allowed: true };
    }
  }
}

/** Content safety as configured, or undefined when neither CONTENT_FILTER_FILE nor MODERATION_URL is set. */
export function createContentSafety(config: ContentSafetyConfig, options: { log: Logger; metrics?: Metrics }): ContentSafety | undefined {
  const { filter, moderation } = config;
  if (filter === undefined && moderation === undefined) return undefined;
  return new ContentSafety({
    blockedMessage: config.blockedMessage,
    ...(filter ? { source: new ContentFilterSource({ file: filter.file, initial: filter.rules, log: options.log }) } : {}),
    ...(moderation
      ? {
          moderation: new ModerationClient({
            url: moderation.url,
            ...(moderation.apiKey ? { apiKey: moderation.apiKey } : {}),
            ...(moderation.model ? { model: moderation.model } : {}),
            timeoutMs: moderation.timeoutSeconds * 1000,
          }),
          moderationOnError: moderation.onError,
        }
      : {}),
    log: options.log,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
}
