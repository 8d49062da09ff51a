import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LiveAnswer } from '../../../src/delivery/live-answer.js';
import { markdownToWeChatText } from '../../../src/delivery/text/markdown-to-text.js';
import { completeLength } from '../../../src/guard/safety/answer-screen.js';
import { loadContentFilterFile } from '../../../src/guard/safety/content-filter-file.js';
import { ContentFilterSource } from '../../../src/guard/safety/content-filter-source.js';
import { ContentSafety, type ModerationOnError } from '../../../src/guard/safety/content-safety.js';
import { ModerationClient } from '../../../src/guard/safety/moderation-client.js';
import { createMetrics, type Metrics } from '../../../src/metrics/metrics.js';
import { temporaryFolder } from '../../support/app-instances.js';
import { eventually } from '../../support/delivery-stack.js';
import { capturedLog, LEVEL } from './captured-log.js';
import { startFakeModeration, type FakeModeration } from './fake-moderation.js';

const BLOCKED = '抱歉，这个问题我无法回答。';

describe('completeLength', () => {
  it('ends a piece at a line break or a sentence end', () => {
    assert.equal(completeLength('没有结尾'), 0);
    assert.equal(completeLength('一句。下一'), 3);
    assert.equal(completeLength('一段\n下一'), 3);
    assert.equal(completeLength('问？答！好；'), 6);
  });

  it('ends at an ASCII full stop only before white space', () => {
    assert.equal(completeLength('pi is 3.'), 0, 'maybe 3.14');
    assert.equal(completeLength('pi is 3.14'), 0);
    assert.equal(completeLength('see example.com'), 0);
    assert.equal(completeLength('Done. Next'), 5);
  });

  it('takes a weaker break in a long run without any sentence end, and never holds more than 400 characters', () => {
    const run = `${'字'.repeat(300)}，${'字'.repeat(150)}`;
    assert.equal(completeLength(run), 301);
    assert.equal(completeLength('字'.repeat(500)), 499);
  });
});

describe('screening an answer as it streams', () => {
  const folder = temporaryFolder('answer-screen');
  const file = path.join(folder.path, 'filter.yaml');
  let moderation: FakeModeration;
  before(async () => {
    writeFileSync(file, 'outgoing:\n  block: [坏词, "/代\\\\s*开发票/"]\n  mask: [秘密]\nincoming:\n  block: [只进不出]\n');
    moderation = await startFakeModeration({ apiKey: 'mod-key' });
  });
  after(async () => {
    await moderation.close();
    folder.remove();
  });

  /** A content safety with the file's lists and, when asked, the fake moderation; a fresh answer and log. */
  const setup = (options: { moderate?: boolean; onError?: ModerationOnError; timeoutMs?: number } = {}) => {
    const captured = capturedLog('info');
    const metrics: Metrics = createMetrics({ instance: 'test', version: '0', defaultMetrics: false });
    const source = new ContentFilterSource({ file, initial: loadContentFilterFile(file), log: captured.log, watch: false });
    const safety = new ContentSafety({
      blockedMessage: BLOCKED,
      source,
      ...(options.moderate === true
        ? { moderation: new ModerationClient({ url: moderation.baseUrl, apiKey: 'mod-key', timeoutMs: options.timeoutMs ?? 2000 }), moderationOnError: options.onError ?? 'allow' }
        : {}),
      log: captured.log,
      metrics,
    });
    const answer = new LiveAnswer();
    return { answer, screen: safety.screenAnswer(answer, captured.log), metrics, ...captured };
  };
  const counted = async (metrics: Metrics, name: 'contentBlocked' | 'moderationChecks'): Promise<Record<string, number>> =>
    Object.fromEntries((await metrics[name].get()).values.map((value) => [Object.values(value.labels).join('/'), value.value]));

  it('holds text until a piece is complete, so a word split over two deltas is caught', async () => {
    const { answer, screen } = setup();
    assert.equal(screen.append('这是坏'), true);
    assert.equal(answer.text, '', 'nothing before the piece is complete');
    assert.equal(screen.append('词。后面的话'), false, 'blocked: stop the model');
    assert.equal(answer.text, BLOCKED);
    assert.equal(screen.append('更多。'), false);
    await screen.end();
    assert.equal(answer.text, BLOCKED);
    assert.ok(screen.blocked && screen.altered);
  });

  it('keeps the clean part before a blocked word and ends with the blocked message as its own paragraph', async () => {
    const { answer, screen, metrics } = setup();
    screen.append('第一段，');
    screen.append('没有问题。\n\n第二段里');
    assert.equal(answer.text, '第一段，没有问题。\n\n', 'a paragraph goes out as soon as it is complete');
    screen.append('代 开');
    assert.equal(screen.append('发票，这不行。'), false);
    await screen.end();
    assert.equal(answer.text, `第一段，没有问题。\n\n${BLOCKED}`);
    assert.deepEqual(await counted(metrics, 'contentBlocked'), { 'outgoing/block': 1 });
  });

  it('masks a word (split too), once counted per answer, and flushes the rest at the end', async () => {
    const { answer, screen, metrics } = setup();
    screen.append('这是秘');
    screen.append('密。还有一个秘密。最后没有句号');
    assert.equal(answer.text, '这是\\*\\*。还有一个\\*\\*。', 'escaped: the answer is Markdown');
    await screen.end();
    assert.equal(markdownToWeChatText(answer.text), '这是**。还有一个**。最后没有句号');
    assert.ok(!screen.blocked && screen.altered);
    assert.deepEqual(await counted(metrics, 'contentBlocked'), { 'outgoing/mask': 1 });
  });

  it('checks the rest at the end too', async () => {
    const { answer, screen } = setup();
    screen.append('好的。结尾有坏词');
    await screen.end();
    assert.equal(answer.text, `好的。\n\n${BLOCKED}`);
  });

  it('uses the outgoing lists only', async () => {
    const { answer, screen } = setup();
    screen.append('只进不出。');
    await screen.end();
    assert.equal(answer.text, '只进不出。');
    assert.ok(!screen.altered);
  });

  it('logs a finding at INFO without the text or the word; the text only at DEBUG', async () => {
    const info = setup();
    info.screen.append('有个坏词的句子。');
    await info.screen.end();
    const line = info.lines.find((entry) => entry.msg === 'content blocked');
    assert.ok(line);
    assert.equal(line.level, LEVEL.info);
    assert.deepEqual([line.direction, line.action, line.by], ['outgoing', 'block', 'keyword']);
    assert.doesNotMatch(info.text(), /坏词|句子/);

    const debug = capturedLog('debug');
    const safety = new ContentSafety({ blockedMessage: BLOCKED, source: new ContentFilterSource({ file, initial: loadContentFilterFile(file), log: debug.log, watch: false }), log: debug.log });
    const screen = safety.screenAnswer(new LiveAnswer(), debug.log);
    screen.append('有个坏词的句子。');
    await screen.end();
    const detail = debug.lines.find((entry) => entry.msg === 'content safety finding');
    assert.equal(detail?.level, LEVEL.debug);
    assert.equal(detail?.text, '有个坏词的句子。');
    assert.deepEqual(detail?.matched, ['坏词']);
  });

  describe('with moderation', () => {
    it('appends a piece only once moderation passed it, and batches what arrives during a call', async () => {
      moderation.flaggedWords = [];
      moderation.delayMs = 150;
      const before = moderation.requests.length;
      const { answer, screen, metrics } = setup({ moderate: true });
      screen.append('第一句。');
      assert.equal(answer.text, '', 'not before moderation answered');
      for (let index = 2; index <= 6; index++) screen.append(`第${index}句。`);
      await screen.end();
      moderation.delayMs = 0;
      assert.equal(answer.text, '第一句。第2句。第3句。第4句。第5句。第6句。');
      const inputs = moderation.inputs().slice(before);
      assert.deepEqual(inputs, ['第一句。', '第2句。第3句。第4句。第5句。第6句。'], 'one call for everything that arrived during the first');
      assert.deepEqual(await counted(metrics, 'moderationChecks'), { passed: 2 });
    });

    it('moderates the masked text, never the words of the lists', async () => {
      moderation.flaggedWords = [];
      const before = moderation.requests.length;
      const { screen } = setup({ moderate: true });
      screen.append('这是秘密。');
      await screen.end();
      assert.deepEqual(moderation.inputs().slice(before), ['这是\\*\\*。']);
    });

    it('blocks a flagged piece: the earlier pieces stay, the model is stopped', async () => {
      moderation.flaggedWords = ['攻击'];
      const { answer, screen, metrics, lines } = setup({ moderate: true });
      screen.append('没问题的一句。\n');
      assert.ok(await eventually(() => answer.text !== '', 3000), 'the clean piece passes moderation');
      screen.append('这里有攻击性的话。');
      assert.ok(await eventually(() => screen.blocked, 3000));
      assert.equal(screen.append('后面的。'), false);
      await screen.end();
      assert.equal(answer.text, `没问题的一句。\n\n${BLOCKED}`);
      assert.deepEqual(await counted(metrics, 'moderationChecks'), { passed: 1, flagged: 1 });
      assert.deepEqual(await counted(metrics, 'contentBlocked'), { 'outgoing/block': 1 });
      const line = lines.find((entry) => entry.msg === 'content blocked');
      assert.deepEqual([line?.by, line?.categories], ['moderation', ['harassment']]);
      moderation.flaggedWords = [];
    });

    for (const [failure, arrange] of [
      ['an HTTP error', () => void (moderation.failWith = 500)],
      ['a malformed answer', () => void (moderation.malformed = true)],
      ['no answer in time', () => void (moderation.delayMs = 1000)],
    ] as const) {
      it(`on ${failure}: MODERATION_ON_ERROR=allow sends the text, =block blocks it; a WARN either way`, async () => {
        arrange();
        try {
          const allowing = setup({ moderate: true, onError: 'allow', timeoutMs: 300 });
          allowing.screen.append('一句话。');
          await allowing.screen.end();
          assert.equal(allowing.answer.text, '一句话。');
          assert.deepEqual(await counted(allowing.metrics, 'moderationChecks'), { error: 1 });
          assert.deepEqual(await counted(allowing.metrics, 'contentBlocked'), {});
          const warning = allowing.lines.find((line) => line.level === LEVEL.warn);
          assert.match(warning?.msg ?? '', /moderation failed: the answer is sent unmoderated/);
          assert.doesNotMatch(allowing.text(), /一句话/);

          const blocking = setup({ moderate: true, onError: 'block', timeoutMs: 300 });
          blocking.screen.append('一句话。');
          await blocking.screen.end();
          assert.equal(blocking.answer.text, BLOCKED);
          assert.deepEqual(await counted(blocking.metrics, 'contentBlocked'), { 'outgoing/block': 1 });
          assert.equal(blocking.lines.find((line) => line.msg === 'content blocked')?.by, 'moderation_error');
        } finally {
          moderation.failWith = undefined;
          moderation.malformed = false;
          moderation.delayMs = 0;
        }
      });
    }
  });
});
