// The answer queue as operators see it: the wx_answer_jobs_* gauges (read from the queue's stats at scrape time)
// and the /readyz entry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { answerQueueCheck } from '../../src/http/routes/answer-queue-check.js';
import type { AnswerQueueStats } from '../../src/jobs/answer-queue.js';
import { MemoryAnswerQueue } from '../../src/jobs/memory-answer-queue.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { parseExposition, valueOf } from '../support/prometheus-text.js';
import { answerJob, Recorder } from './answer-jobs.js';

const log = pino({ level: 'silent' });

/** A memory queue with one job running (until stopped) and two waiting, and one failure behind it. */
async function busyQueue(): Promise<{ queue: MemoryAnswerQueue; recorder: Recorder }> {
  const queue = new MemoryAnswerQueue({ concurrency: 1, log });
  const recorder = new Recorder();
  queue.start(recorder.processor);
  const failing = recorder.behave(answerJob('o_user', 'failing'), { ms: 0, reject: true });
  await queue.add(failing);
  await recorder.untilEnded([failing]);
  const running = recorder.behave(answerJob('o_user', 'running'), 'until-aborted');
  await queue.add(running);
  await recorder.untilStarted(running);
  await queue.add(answerJob('o_other', 'waiting1'));
  await queue.add(answerJob('o_other', 'waiting2'));
  return { queue, recorder };
}

void describe('answer queue metrics', () => {
  void it('the gauges show the stats, read once per scrape', async () => {
    const metrics = createMetrics({ instance: 'test', version: '0.0.0', defaultMetrics: false });
    const { queue } = await busyQueue();
    let reads = 0;
    metrics.watchAnswerQueue(() => {
      reads += 1;
      return queue.stats();
    });
    await sleep(60);
    const exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(reads, 1);
    assert.equal(valueOf(exposition, 'wx_answer_jobs_waiting'), 2);
    assert.equal(valueOf(exposition, 'wx_answer_jobs_active'), 1);
    assert.equal(valueOf(exposition, 'wx_answer_jobs_failed'), 1);
    assert.equal(valueOf(exposition, 'wx_answer_jobs_stalled_total'), 0);
    const oldest = valueOf(exposition, 'wx_answer_jobs_oldest_waiting_seconds');
    assert.ok(oldest >= 0.05 && oldest < 5, `oldest waiting ${oldest} s`);
    await metrics.registry.metrics();
    assert.equal(reads, 2);
    await queue.stop(Date.now());
  });

  void it('a failing stats read leaves the gauges as they were, and /metrics still answers', async () => {
    const metrics = createMetrics({ instance: 'test', version: '0.0.0', defaultMetrics: false });
    let redisDown = false;
    const stats: AnswerQueueStats = { waiting: 4, active: 3, stalled: 2, failed: 1, oldestWaitingMs: 1_500 };
    metrics.watchAnswerQueue(async () => {
      if (redisDown) throw new Error('Connection is closed.');
      return stats;
    });
    const before = parseExposition(await metrics.registry.metrics());
    redisDown = true;
    const after = parseExposition(await metrics.registry.metrics());
    for (const name of ['wx_answer_jobs_waiting', 'wx_answer_jobs_active', 'wx_answer_jobs_stalled_total', 'wx_answer_jobs_failed', 'wx_answer_jobs_oldest_waiting_seconds']) {
      assert.equal(valueOf(after, name), valueOf(before, name), name);
    }
    assert.equal(valueOf(after, 'wx_answer_jobs_oldest_waiting_seconds'), 1.5);
    assert.equal(valueOf(after, 'wx_answer_jobs_stalled_total'), 2);
  });

  void it('without a watched queue the gauges are 0', async () => {
    const metrics = createMetrics({ instance: 'test', version: '0.0.0', defaultMetrics: false });
    const exposition = parseExposition(await metrics.registry.metrics());
    assert.equal(exposition.families.get('wx_answer_jobs_waiting'), 'gauge');
    assert.equal(valueOf(exposition, 'wx_answer_jobs_waiting'), 0);
  });
});

void describe('answerQueueCheck', () => {
  void it('is ok and says what waits, runs, stalled and failed, and how long the oldest waited', async () => {
    const { queue } = await busyQueue();
    await sleep(120);
    const outcome = await answerQueueCheck(queue).check();
    assert.equal(answerQueueCheck(queue).name, 'answer-queue');
    assert.equal(outcome.status, 'ok');
    const match = /^waiting 2, active 1, stalled 0, failed 1, oldest waiting (\d+(?:\.\d)?) s$/.exec(outcome.detail ?? '');
    assert.ok(match, outcome.detail);
    assert.ok(Number(match[1]) >= 0.1, outcome.detail);
    await queue.stop(Date.now());
  });
  // The error outcome (stats() rejects: Redis down) is tested against a real unreachable Redis in bull-answer-queue.test.ts.
});
