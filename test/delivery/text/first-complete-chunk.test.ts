import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstCompleteChunk, StreamSegmenter, type StreamSegmenterOptions } from '../../../src/delivery/text/first-complete-chunk.js';
import { markdownToWeChatText } from '../../../src/delivery/text/markdown-to-text.js';
import { utf8ByteLength } from '../../../src/delivery/text/split-by-bytes.js';
import { assertPiecesCover, chineseAnswer, hasLoneSurrogate } from './text-fixtures.js';

function segmentAtOnce(text: string, options?: StreamSegmenterOptions): string[] {
  const segmenter = new StreamSegmenter(options);
  return [...segmenter.push(text), ...segmenter.flush()];
}

/** Feeds `text` in deltas of the given sizes (cycled); records after how many characters each segment came. */
function segmentInDeltas(text: string, sizes: readonly number[], options?: StreamSegmenterOptions): { segments: string[]; readyAt: number[] } {
  const segmenter = new StreamSegmenter(options);
  const segments: string[] = [];
  const readyAt: number[] = [];
  let position = 0;
  for (let index = 0; position < text.length; index += 1) {
    const size = sizes[index % sizes.length]!;
    const ready = segmenter.push(text.slice(position, position + size));
    position += size;
    segments.push(...ready);
    readyAt.push(...ready.map(() => Math.min(position, text.length)));
  }
  const rest = segmenter.flush();
  segments.push(...rest);
  readyAt.push(...rest.map(() => text.length));
  return { segments, readyAt };
}

const ANSWER = [
  '好的，下面我来介绍一下如何在 TypeScript 项目中使用 ESLint。',
  '',
  'ESLint 是一个静态代码分析工具，它可以帮助你发现代码中的问题，并保持团队的代码风格一致。配置它只需要几个步骤。',
  '',
  '## 安装',
  '',
  '首先安装依赖：',
  '',
  '```bash',
  'npm install --save-dev eslint typescript-eslint',
  '',
  '# 检查版本。确认安装成功！',
  'npx eslint --version',
  '```',
  '',
  '## 配置',
  '',
  '在项目根目录创建 `eslint.config.js`，内容如下：',
  '',
  '1. 引入 **推荐规则**。',
  '2. 为 `.ts` 文件启用类型检查。',
  '3. 根据团队习惯添加自定义规则，例如禁止使用 `console`。',
  '',
  '| 规则 | 作用 |',
  '| --- | --- |',
  '| no-console | 禁止 console。避免调试代码进入生产 |',
  '| eqeqeq | 必须使用 ===。 |',
  '',
  'That is all. Run `npx eslint .` to check the whole project! If something fails, read the message carefully: it usually says exactly what to fix.',
].join('\n');

void describe('StreamSegmenter', () => {
  void it('gives the same segments whether the answer arrives character by character, in chunks or at once', () => {
    for (const text of [ANSWER, chineseAnswer(6_000), `${ANSWER}\n\n\`\`\`js\n${'const value = compute(1, 2);\n'.repeat(120)}\`\`\`\n\nDone.`]) {
      const atOnce = segmentAtOnce(text);
      assert.ok(atOnce.length > 1);
      for (const sizes of [[1], [2, 7, 3], [17], [400], [1, 1, 50]]) {
        assert.deepEqual(segmentInDeltas(text, sizes).segments, atOnce, `deltas of ${sizes.join(',')}`);
      }
    }
  });

  void it('sends the first segment as soon as the first paragraph long enough is complete', () => {
    const text = '这是第一段，它介绍了问题的背景。为了说明得更清楚，我们再补充一句话，让这一段超过六十个字符的最小长度，这样它就可以单独发送。\n\n第二段开始了，但还没有结束';
    assert.ok(text.indexOf('\n\n') >= 60);
    const { segments, readyAt } = segmentInDeltas(text, [1]);
    assert.equal(segments[0], text.slice(0, text.indexOf('\n\n')));
    // Confirmed by the blank line: the second newline is the last character pushed.
    assert.equal(readyAt[0], text.indexOf('\n\n') + 2);
    assert.deepEqual(segments.slice(1), ['第二段开始了，但还没有结束']);
  });

  void it('keeps a short paragraph with what follows instead of sending a tiny message', () => {
    const text = `好的。\n\n${'这是一段足够长的正文内容，用来说明问题。'.repeat(4)}\n\n结尾`;
    const segments = segmentAtOnce(text);
    assert.equal(segments[0], text.slice(0, text.lastIndexOf('\n\n')));
    assert.deepEqual(segments.slice(1), ['结尾']);
  });

  void it('ends a segment inside a long paragraph at a sentence end once it holds a group of sentences', () => {
    const sentence = '这是一个没有空行的长段落中的一句话。';
    const text = sentence.repeat(30);
    const { segments, readyAt } = segmentInDeltas(text, [1]);
    const first = segments[0]!;
    assert.ok(first.length >= 200 && first.length < 200 + sentence.length, `first segment of ${first.length}`);
    assert.ok(first.endsWith('。'));
    // Known complete when the next sentence's first character arrives.
    assert.equal(readyAt[0], first.length + 1);
    assert.equal(segments.join(''), text);
  });

  void it('cuts an English paragraph after ". " but not after a list number or a decimal point', () => {
    const text = `${'Version 3.14 of the tool is out now, and it is faster. '.repeat(5)}\n1. Install it. 2. Run it.`;
    const segments = segmentAtOnce(text, { sentenceGroupChars: 100 });
    for (const segment of segments.slice(0, -1)) assert.match(segment, /(faster\.|it\.)$/);
    assert.ok(segments.every((segment) => !segment.endsWith('3.') && !segment.endsWith('1.')));
    assertPiecesCover(text, segments);
  });

  void it('never ends a segment inside a code fence, after a heading or after a line ending in a colon', () => {
    const segments = segmentAtOnce(ANSWER, { minChars: 1, sentenceGroupChars: 1 });
    for (const segment of segments) {
      const fences = segment.match(/^```/gm)?.length ?? 0;
      assert.equal(fences % 2, 0, `open fence in ${JSON.stringify(segment)}`);
      assert.doesNotMatch(segment, /(^|\n)#{1,6} [^\n]*$/, `ends with a heading: ${JSON.stringify(segment)}`);
      assert.doesNotMatch(segment, /[:：]$/, `ends with an introduction: ${JSON.stringify(segment)}`);
    }
    // Table rows stay together.
    assert.ok(segments.some((segment) => segment.includes('| no-console |') && segment.includes('| eqeqeq |')));
    assertPiecesCover(ANSWER, segments);
  });

  void it('keeps every segment of a 6,000-character answer within maxBytes, losing nothing', () => {
    const text = chineseAnswer(6_000);
    const segments = segmentAtOnce(text);
    for (const segment of segments) assert.ok(utf8ByteLength(segment) <= 2048);
    assertPiecesCover(text, segments);
    for (const maxBytes of [100, 301]) {
      const small = segmentAtOnce(text, { maxBytes });
      for (const segment of small) assert.ok(utf8ByteLength(segment) <= maxBytes && !hasLoneSurrogate(segment));
      assertPiecesCover(text, small);
    }
  });

  void it('splits a code block larger than maxBytes, closing and reopening the fence, after the text before it', () => {
    const code = Array.from({ length: 80 }, (_, index) => `# step ${index}\nprint("第${index}步")`).join('\n');
    const text = `下面是脚本：\n\n\`\`\`python\n${code}\n\`\`\`\n\n以上。`;
    const segments = segmentAtOnce(text, { maxBytes: 600 });
    assert.equal(segments[0], '下面是脚本：');
    const codeSegments = segments.slice(1, -1);
    assert.ok(codeSegments.length >= 3);
    for (const segment of codeSegments) {
      assert.ok(utf8ByteLength(segment) <= 600);
      assert.match(segment, /^```python\n[\s\S]*\n```$/);
      // Each segment stands alone: its code comments do not become headings.
      assert.doesNotMatch(markdownToWeChatText(segment), /【/);
    }
    const rejoined = codeSegments.map((segment) => segment.replace(/^```python\n/, '').replace(/\n```$/, '')).join('\n');
    assert.equal(rejoined, code);
    assert.equal(segments.at(-1), '以上。');
  });

  void it('flush sends what is left, nothing when only whitespace is left, and starts over', () => {
    const segmenter = new StreamSegmenter();
    assert.deepEqual(segmenter.push('短句'), []);
    assert.deepEqual(segmenter.flush(), ['短句']);
    assert.deepEqual(segmenter.flush(), []);
    assert.deepEqual(segmenter.push('\n\n  \n'), []);
    assert.deepEqual(segmenter.flush(), []);
  });

  void it('rejects options out of range', () => {
    assert.throws(() => new StreamSegmenter({ maxBytes: 3 }), RangeError);
    assert.throws(() => new StreamSegmenter({ minChars: 0 }), RangeError);
  });
});

void describe('firstCompleteChunk', () => {
  void it('returns the first complete segment and the rest, or undefined while none is complete', () => {
    assert.equal(firstCompleteChunk('第一段还没有写完'), undefined);
    const first = '第一段已经完整地写完了，它有足够多的字符，可以作为第一条消息立即发送给用户，不必等待整个回答全部生成之后再发送，用户会更早看到回复。';
    assert.ok(first.length >= 60);
    const result = firstCompleteChunk(`${first}\n\n第二段`);
    assert.deepEqual(result, { chunk: first, rest: '\n第二段' });
  });

  void it('taken repeatedly, gives the segments of StreamSegmenter', () => {
    const chunks: string[] = [];
    let rest = ANSWER;
    for (let next = firstCompleteChunk(rest); next !== undefined; next = firstCompleteChunk(rest)) {
      chunks.push(next.chunk);
      rest = next.rest;
    }
    const segmenter = new StreamSegmenter();
    assert.deepEqual([...chunks, ...(rest.trim() === '' ? [] : [rest.trim()])], [...segmenter.push(ANSWER), ...segmenter.flush()]);
  });
});
