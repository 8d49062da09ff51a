/**
 * The contract every built-in provider runs against its fake service (one `*.test.ts` per provider calls
 * `runAgentContract`): streamed text and one final `finish`, history sent where the service takes it, prompt
 * abort, and the classification of failures that the resilience policy relies on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '../../../src/ai/agent.js';
import { refusedUrl, type FakeReply } from '../fakes/fake-service-server.js';
import { agentErrorOf, agentRequest, collectStream } from './agent-test-helpers.js';

export interface AgentContractFixture {
  /** The provider, pointed at its fake. */
  agent: Agent;
  /** The same provider pointed at another service URL (base form). */
  agentAt(url: string): Agent;
  /** The fake's next chat reply. */
  replyNext(reply: FakeReply): void;
  /** The texts of the messages in the fake's latest chat request, in order, as the service received them. */
  receivedTexts(): string[];
  /** Whether the provider sends previous turns (Dify and the `default` contract keep history themselves). */
  sendsHistory: boolean;
  close(): Promise<void>;
}

/** How long an aborted stream may take to end. */
const ABORT_PROMPTNESS_MS = 100;

export function runAgentContract(name: string, setup: () => Promise<AgentContractFixture>): void {
  describe(`${name} — agent contract`, () => {
    let fixture: AgentContractFixture;
    before(async () => {
      fixture = await setup();
    });
    after(() => fixture.close());

    it('streams text deltas that join into the answer, then exactly one finish, last', async () => {
      fixture.replyNext({ chunks: ['The answer', ' is', ' 42.'] });
      const outcome = await collectStream(fixture.agent, agentRequest({ text: 'What is the answer?' }));
      assert.equal(outcome.error, undefined);
      assert.equal(outcome.text, 'The answer is 42.');
      assert.ok(outcome.parts.filter((part) => part.type === 'text-delta').length >= 2, 'more than one delta');
      const finishes = outcome.parts.filter((part) => part.type === 'finish');
      assert.equal(finishes.length, 1);
      assert.equal(outcome.parts.at(-1)?.type, 'finish');
      assert.deepEqual(finishes[0]?.type === 'finish' && finishes[0].reason, 'stop');
    });

    it('sends the conversation so far (system prompt, previous turns) — or only the newest message where the service keeps history', async () => {
      const messages = [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'user' as const, content: 'first question' },
        { role: 'assistant' as const, content: 'first answer' },
        { role: 'user' as const, content: 'second question' },
      ];
      fixture.replyNext({ chunks: ['ok'] });
      const outcome = await collectStream(fixture.agent, agentRequest({ messages }));
      assert.equal(outcome.error, undefined);
      if (!fixture.sendsHistory) {
        assert.deepEqual(fixture.receivedTexts(), ['second question'], 'only the newest message');
        return;
      }
      assert.deepEqual(fixture.receivedTexts(), messages.map((message) => message.content));
    });

    it(`an abort mid-stream ends the turn with an 'aborted' AgentError within ${ABORT_PROMPTNESS_MS} ms`, async () => {
      fixture.replyNext({ chunks: ['first', ' second', ' third'], chunkDelayMs: 5_000 });
      const controller = new AbortController();
      let abortedAt = 0;
      const parts: string[] = [];
      const started = performance.now();
      const error = await (async () => {
        try {
          for await (const part of fixture.agent.stream(agentRequest({ signal: controller.signal }))) {
            parts.push(part.type);
            if (part.type === 'error') return part.error;
            if (part.type === 'text-delta' && abortedAt === 0) {
              // Abort while the next read is pending, as a timeout would.
              setTimeout(() => {
                abortedAt = performance.now();
                controller.abort(new Error('timeout'));
              }, 30);
            }
          }
          return undefined;
        } catch (thrown) {
          return thrown;
        }
      })();
      const endedAt = performance.now();
      assert.deepEqual(parts, ['text-delta'], 'one delta, then the abort');
      assert.ok(abortedAt > 0, 'aborted mid-stream');
      assert.equal((error as { kind?: unknown })?.kind, 'aborted');
      assert.equal((error as { retryable?: unknown }).retryable, false);
      assert.ok(endedAt - abortedAt < ABORT_PROMPTNESS_MS, `ended ${Math.round(endedAt - abortedAt)} ms after the abort`);
      assert.ok(endedAt - started < 1_000);
    });

    it("an abort before the service answers ends the turn with 'aborted' promptly", async () => {
      fixture.replyNext({ delayMs: 5_000 });
      const signal = AbortSignal.timeout(50);
      const started = performance.now();
      const error = await agentErrorOf(fixture.agent, agentRequest({ signal }));
      assert.equal(error.kind, 'aborted');
      assert.ok(performance.now() - started < 50 + ABORT_PROMPTNESS_MS);
    });

    const statuses = [
      { status: 500, kind: 'server', retryable: true },
      { status: 503, kind: 'server', retryable: true },
      { status: 429, kind: 'rate-limit', retryable: true },
      { status: 401, kind: 'auth', retryable: false },
      { status: 400, kind: 'invalid', retryable: false },
    ] as const;
    for (const { status, kind, retryable } of statuses) {
      it(`HTTP ${status} → AgentError '${kind}', ${retryable ? '' : 'not '}retryable, with the status`, async () => {
        fixture.replyNext({ error: { status, message: `scripted ${status}` } });
        const error = await agentErrorOf(fixture.agent, agentRequest());
        assert.equal(error.kind, kind);
        assert.equal(error.retryable, retryable);
        assert.equal(error.status, status);
        assert.equal(error.provider, fixture.agent.name);
      });
    }

    it("a refused connection → AgentError 'network', retryable", async () => {
      const agent = fixture.agentAt(await refusedUrl());
      const error = await agentErrorOf(agent, agentRequest());
      assert.equal(error.kind, 'network');
      assert.equal(error.retryable, true);
    });

    it("a failure the service reports inside the stream → AgentError 'server', after the deltas before it", async () => {
      fixture.replyNext({ chunks: ['partial', ' answer', ' never'], failAfterChunks: 2 });
      const outcome = await collectStream(fixture.agent, agentRequest());
      assert.equal(outcome.text, 'partial answer');
      assert.equal((outcome.error as { kind?: unknown })?.kind, 'server');
      assert.equal((outcome.error as { retryable?: unknown }).retryable, true);
      assert.equal(outcome.parts.some((part) => part.type === 'finish'), false);
    });

    it("a connection cut mid-stream → AgentError 'network', retryable, and no finish", async () => {
      fixture.replyNext({ chunks: ['partial', ' answer', ' never'], dropAfterChunks: 1 });
      const outcome = await collectStream(fixture.agent, agentRequest());
      assert.equal(outcome.text, 'partial');
      assert.equal((outcome.error as { kind?: unknown })?.kind, 'network');
      assert.equal((outcome.error as { retryable?: unknown }).retryable, true);
      assert.equal(outcome.parts.some((part) => part.type === 'finish'), false);
    });

    it('passes on the first delta of a slow stream before the stream ends', async () => {
      fixture.replyNext({ chunks: ['one', ' two', ' three'], chunkDelayMs: 150 });
      const started = performance.now();
      let firstDeltaAt = 0;
      let finishAt = 0;
      for await (const part of fixture.agent.stream(agentRequest())) {
        if (part.type === 'text-delta' && firstDeltaAt === 0) firstDeltaAt = performance.now() - started;
        if (part.type === 'finish') finishAt = performance.now() - started;
      }
      assert.ok(firstDeltaAt > 0 && finishAt > 0);
      assert.ok(finishAt - firstDeltaAt >= 300, `first delta at ${Math.round(firstDeltaAt)} ms, finish at ${Math.round(finishAt)} ms`);
    });
  });
}
