import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError, type AgentPart } from '../../../src/ai/agent.js';
import { AgentTimeoutError, CircuitOpenError, isAgentTimeout, QueueFullError } from '../../../src/ai/resilience-errors.js';
import { createResiliencePolicy, type ResilienceOptions } from '../../../src/ai/resilience.js';
import { collect, finish, text, wait } from './scripted-agent.js';

type Call = (signal: AbortSignal) => AsyncIterable<AgentPart>;

const serverError = (): AgentError => new AgentError('scripted', 'server', 'bad gateway', { status: 502 });
const invalidError = (): AgentError => new AgentError('scripted', 'invalid', 'context too long', { status: 400 });

/** A call that fails with each of `failures` in turn, then answers `answer`; counts its invocations. */
function flaky(failures: AgentError[], answer = 'ok'): Call & { calls: number } {
  const call = Object.assign((_signal: AbortSignal) => {
    const failure = failures[call.calls++];
    return (async function* (): AsyncGenerator<AgentPart> {
      if (failure !== undefined) throw failure;
      yield text(answer);
      yield finish();
    })();
  }, { calls: 0 });
  return call;
}

/** A call that streams until `release()`; `started` counts invocations. */
function gated(): { call: Call; release: () => void; started: () => number } {
  let started = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  return {
    call: () => (async function* (): AsyncGenerator<AgentPart> {
      started++;
      await gate;
      yield text('done');
      yield finish();
    })(),
    release,
    started: () => started,
  };
}

const fast: ResilienceOptions = { retryBaseDelayMs: 5, retryMaxDelayMs: 20 };

describe('resilience policy', () => {
  it('passes the parts through and reports an idle state', async () => {
    const policy = createResiliencePolicy(fast);
    assert.deepEqual(await collect(policy.stream(flaky([], 'hello'))), [text('hello'), finish()]);
    assert.deepEqual(policy.state(), { circuit: 'closed', inFlight: 0, queued: 0 });
  });

  it('ignores hooks that throw', async () => {
    const policy = createResiliencePolicy({ ...fast, hooks: { onAttempt: () => { throw new Error('metrics down'); } } });
    assert.deepEqual(await collect(policy.stream(flaky([serverError()]))), [text('ok'), finish()]);
  });

  describe('timeout', () => {
    it('fails with a timeout error within the bound, even when the stream ignores its signal', async () => {
      const policy = createResiliencePolicy({ ...fast, timeoutMs: 50, provider: 'openai' });
      let given: AbortSignal | undefined;
      const started = Date.now();
      const parts: AgentPart[] = [];
      await assert.rejects(async () => {
        for await (const part of policy.stream((signal) => {
          given = signal;
          return (async function* (): AsyncGenerator<AgentPart> {
            yield text('thinking');
            await sleep(5_000, undefined, { ref: false }); // ignores its signal on purpose
            yield finish();
          })();
        })) parts.push(part);
      }, (error: unknown) => isAgentTimeout(error) && error instanceof AgentError && error.kind === 'aborted' && error.provider === 'openai');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 45 && elapsed < 1_000, `took ${elapsed} ms`);
      assert.deepEqual(parts, [text('thinking')]);
      assert.equal(given?.aborted, true);
    });

    it('counts time spent in the queue', async () => {
      // A and B start together; A holds the only slot until its timeout (60 ms), then B needs 40 ms more: B would
      // finish in time if its clock started when it left the queue.
      const policy = createResiliencePolicy({ ...fast, timeoutMs: 60, maxConcurrent: 1, maxQueued: 1 });
      const blocker = gated();
      const first = collect(policy.stream(blocker.call)).catch((error: unknown) => error);
      const second = collect(policy.stream((signal) => (async function* (): AsyncGenerator<AgentPart> {
        await wait(40, signal);
        yield finish();
      })()));
      assert.deepEqual(policy.state(), { circuit: 'closed', inFlight: 1, queued: 1 });
      await assert.rejects(second, AgentTimeoutError);
      assert.ok((await first) instanceof AgentTimeoutError);
      blocker.release();
    });

    it('tells an abort by the caller apart from a timeout', async () => {
      const policy = createResiliencePolicy(fast);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      await assert.rejects(
        collect(policy.stream((signal) => (async function* (): AsyncGenerator<AgentPart> {
          await wait(5_000, signal);
          yield finish();
        })(), { signal: controller.signal })),
        (error: unknown) => error instanceof AgentError && error.kind === 'aborted' && !isAgentTimeout(error),
      );
      assert.equal(policy.state().circuit, 'closed');
    });
  });

  describe('retry', () => {
    it('retries retryable errors with backoff, then succeeds', async () => {
      const retries: number[] = [];
      let attempts = 0;
      const policy = createResiliencePolicy({
        ...fast, retries: 2,
        hooks: { onAttempt: () => attempts++, onRetry: ({ attempt, delayMs }) => { retries.push(attempt); assert.ok(delayMs <= 20); } },
      });
      const call = flaky([serverError(), new AgentError('scripted', 'rate-limit', 'slow down', { status: 429 })]);
      assert.deepEqual(await collect(policy.stream(call)), [text('ok'), finish()]);
      assert.equal(call.calls, 3);
      assert.equal(attempts, 3);
      assert.deepEqual(retries, [1, 2]);
    });

    it('gives up after the configured retries with the last error', async () => {
      const policy = createResiliencePolicy({ ...fast, retries: 1 });
      const last = serverError();
      const call = flaky([serverError(), last, serverError()]);
      await assert.rejects(collect(policy.stream(call)), (error) => error === last);
      assert.equal(call.calls, 2);
    });

    it('does not retry errors that are not retryable', async () => {
      const policy = createResiliencePolicy(fast);
      const call = flaky([invalidError()]);
      await assert.rejects(collect(policy.stream(call)), (error: unknown) => error instanceof AgentError && error.kind === 'invalid');
      assert.equal(call.calls, 1);
    });

    it('treats an error part like a throw', async () => {
      const policy = createResiliencePolicy(fast);
      let calls = 0;
      const parts = await collect(policy.stream(() => (async function* (): AsyncGenerator<AgentPart> {
        if (calls++ === 0) yield { type: 'error', error: serverError() };
        yield text('second time');
        yield finish();
      })()));
      assert.deepEqual([calls, parts[0]], [2, text('second time')]);
    });

    it('never retries once a part has been passed on, so text is not duplicated', async () => {
      const policy = createResiliencePolicy(fast);
      let calls = 0;
      const parts: AgentPart[] = [];
      await assert.rejects(async () => {
        for await (const part of policy.stream(() => (async function* (): AsyncGenerator<AgentPart> {
          calls++;
          yield text('Half an ans');
          throw serverError();
        })())) parts.push(part);
      }, (error: unknown) => error instanceof AgentError && error.kind === 'server');
      assert.equal(calls, 1);
      assert.deepEqual(parts, [text('Half an ans')]);
    });
  });

  describe('circuit breaker', () => {
    const options: ResilienceOptions = { ...fast, retries: 0, breakerThreshold: 3, breakerCooldownMs: 100 };

    it('opens after N consecutive failures; the service is then not called', async () => {
      const events: string[] = [];
      const policy = createResiliencePolicy({
        ...options,
        hooks: { onBreak: () => events.push('break'), onReject: ({ reason }) => events.push(reason) },
      });
      const call = flaky(Array.from({ length: 10 }, serverError));
      for (let index = 0; index < 3; index++) await assert.rejects(collect(policy.stream(call)), AgentError);
      assert.equal(policy.state().circuit, 'open');
      await assert.rejects(collect(policy.stream(call)), CircuitOpenError);
      assert.equal(call.calls, 3);
      assert.deepEqual(events, ['break', 'circuit-open']);
    });

    it('does not count invalid requests or aborts as service failures', async () => {
      const policy = createResiliencePolicy(options);
      const call = flaky(Array.from({ length: 5 }, invalidError));
      for (let index = 0; index < 5; index++) await assert.rejects(collect(policy.stream(call)), AgentError);
      assert.equal(policy.state().circuit, 'closed');
    });

    it('half-opens after the cool-down; a successful probe closes it, others fail fast meanwhile', async () => {
      const events: string[] = [];
      const policy = createResiliencePolicy({
        ...options,
        hooks: { onHalfOpen: () => events.push('half-open'), onReset: () => events.push('reset') },
      });
      const failing = flaky(Array.from({ length: 3 }, serverError));
      for (let index = 0; index < 3; index++) await assert.rejects(collect(policy.stream(failing)));
      assert.equal(policy.state().circuit, 'open');
      await sleep(120);
      assert.equal(policy.state().circuit, 'half-open');

      const probe = gated();
      const probing = collect(policy.stream(probe.call));
      await sleep(5);
      assert.equal(probe.started(), 1);
      const bystander = flaky([]);
      await assert.rejects(collect(policy.stream(bystander)), CircuitOpenError);
      assert.equal(bystander.calls, 0);
      probe.release();
      await probing;
      assert.equal(policy.state().circuit, 'closed');
      assert.deepEqual(events, ['half-open', 'reset']);
      assert.deepEqual(await collect(policy.stream(bystander)), [text('ok'), finish()]);
    });

    it('re-opens for another cool-down when the probe fails', async () => {
      const policy = createResiliencePolicy(options);
      const call = flaky(Array.from({ length: 4 }, serverError));
      for (let index = 0; index < 3; index++) await assert.rejects(collect(policy.stream(call)));
      await sleep(120);
      await assert.rejects(collect(policy.stream(call)), (error: unknown) => error instanceof AgentError && error.kind === 'server');
      assert.equal(call.calls, 4);
      assert.equal(policy.state().circuit, 'open');
      await assert.rejects(collect(policy.stream(call)), CircuitOpenError);
      assert.equal(call.calls, 4);
      await sleep(120);
      assert.deepEqual(await collect(policy.stream(call)), [text('ok'), finish()]);
      assert.equal(policy.state().circuit, 'closed');
    });

    it('counts timeouts as failures', async () => {
      const policy = createResiliencePolicy({ ...options, breakerThreshold: 2, timeoutMs: 20 });
      const hanging: Call = (signal) => (async function* (): AsyncGenerator<AgentPart> {
        await wait(1_000, signal);
        yield finish();
      })();
      for (let index = 0; index < 2; index++) await assert.rejects(collect(policy.stream(hanging)), AgentTimeoutError);
      assert.equal(policy.state().circuit, 'open');
    });
  });

  describe('bulkhead', () => {
    it('queues calls beyond the limit and refuses more than the queue holds', async () => {
      const rejections: string[] = [];
      const policy = createResiliencePolicy({ ...fast, maxConcurrent: 2, maxQueued: 1, hooks: { onReject: ({ reason }) => rejections.push(reason) } });
      const work = gated();
      const running = [1, 2, 3].map(() => collect(policy.stream(work.call)));
      await sleep(5);
      assert.equal(work.started(), 2);
      assert.deepEqual(policy.state(), { circuit: 'closed', inFlight: 2, queued: 1 });

      const started = Date.now();
      await assert.rejects(collect(policy.stream(work.call)), QueueFullError);
      assert.ok(Date.now() - started < 1_000, 'does not wait for a slot');
      assert.deepEqual(rejections, ['queue-full']);

      work.release();
      const results = await Promise.all(running);
      assert.equal(work.started(), 3);
      assert.ok(results.every((parts) => parts.length === 2));
      assert.deepEqual(policy.state(), { circuit: 'closed', inFlight: 0, queued: 0 });
    });

    it('fails a queued call at once when its caller aborts', async () => {
      const policy = createResiliencePolicy({ ...fast, maxConcurrent: 1, maxQueued: 5 });
      const work = gated();
      const running = collect(policy.stream(work.call));
      await sleep(5);
      const controller = new AbortController();
      const queued = collect(policy.stream(work.call, { signal: controller.signal }));
      await sleep(5);
      assert.equal(policy.state().queued, 1);
      controller.abort();
      await assert.rejects(queued, (error: unknown) => error instanceof AgentError && error.kind === 'aborted');
      work.release();
      await running;
      assert.equal(work.started(), 1);
    });

    it('frees the slot and aborts the call when the consumer stops early', async () => {
      const policy = createResiliencePolicy({ ...fast, maxConcurrent: 1 });
      let given: AbortSignal | undefined;
      for await (const part of policy.stream((signal) => {
        given = signal;
        return (async function* (): AsyncGenerator<AgentPart> {
          yield text('first');
          await wait(1_000, signal);
          yield finish();
        })();
      })) {
        assert.deepEqual(part, text('first'));
        break;
      }
      await sleep(5);
      assert.equal(given?.aborted, true);
      assert.deepEqual(policy.state(), { circuit: 'closed', inFlight: 0, queued: 0 });
    });
  });
});
