/**
 * The answer to one user message while it is being produced: the text streamed so far, media, and how it ended.
 * The agent side writes (`append`, `addMedia`, `finish`); delivery reads — waits for the end within the passive
 * window, or follows the text as it grows to send customer-service messages progressively. Several readers may
 * follow one answer; each reads from the start.
 *
 * Text is the model's own (usually Markdown); turning it into WeChat text is delivery's job.
 */
import { randomBytes } from 'node:crypto';

export interface AnswerMedia {
  kind: 'image' | 'voice';
  url?: string;
  data?: Uint8Array;
  mimeType?: string;
}

export type AnswerOutcome =
  /** The agent finished normally. */
  | 'answered'
  /** EXTERNAL_SERVICE_TIMEOUT passed: the text is what arrived before (possibly nothing) plus the timeout message. */
  | 'timeout'
  /** The agent failed (or its circuit is open): the text ends with the error message. */
  | 'failed';

export interface FinishedAnswer {
  text: string;
  media: AnswerMedia[];
  outcome: AnswerOutcome;
}

/** A new unguessable answer id (the `/a/:id` link and the log lines' `answerId`). */
export function newAnswerId(): string {
  return randomBytes(12).toString('base64url');
}

export class LiveAnswer {
  /** Unguessable: doubles as the `/a/:id` id and the pickup reference. */
  readonly id: string;
  readonly startedAt = Date.now();
  #text = '';
  readonly #media: AnswerMedia[] = [];
  #finished: FinishedAnswer | undefined;
  #wake: (() => void) | undefined;
  #changed: Promise<void> | undefined;
  readonly #done: Promise<FinishedAnswer>;
  #resolveDone!: (answer: FinishedAnswer) => void;

  constructor(id: string = newAnswerId()) {
    this.id = id;
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** The text so far (the whole text once finished). */
  get text(): string {
    return this.#text;
  }

  get finished(): FinishedAnswer | undefined {
    return this.#finished;
  }

  append(delta: string): void {
    if (this.#finished !== undefined || delta === '') return;
    this.#text += delta;
    this.#notify();
  }

  addMedia(media: AnswerMedia): void {
    if (this.#finished !== undefined) return;
    this.#media.push(media);
    this.#notify();
  }

  /** Ends the answer; later calls are ignored. `replacement` replaces the text (an error message), `suffix` extends it. */
  finish(outcome: AnswerOutcome = 'answered', options: { replacement?: string; suffix?: string } = {}): void {
    if (this.#finished !== undefined) return;
    if (options.replacement !== undefined) this.#text = options.replacement;
    if (options.suffix) this.#text = this.#text === '' ? options.suffix : `${this.#text}\n\n${options.suffix}`;
    this.#finished = { text: this.#text, media: [...this.#media], outcome };
    this.#resolveDone(this.#finished);
    this.#notify();
  }

  /** Resolves once finished; never rejects. */
  whenFinished(): Promise<FinishedAnswer> {
    return this.#done;
  }

  /** Resolves when the text or media change or the answer finishes (at once if already finished). */
  nextChange(): Promise<void> {
    if (this.#finished !== undefined) return Promise.resolve();
    this.#changed ??= new Promise((resolve) => {
      this.#wake = resolve;
    });
    return this.#changed;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    this.#changed = undefined;
    wake?.();
  }
}
