import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textAfterSent } from '../../src/delivery/text/text-after-sent.js';

describe('textAfterSent', () => {
  it('finds the rest after messages re-joined at paragraph boundaries, ignoring whitespace', () => {
    const text = '第一段。\n\n第二段，较长。\n\n第三段。\n\n最后一段。';
    assert.equal(textAfterSent(text, ['第一段。\n\n第二段，较长。', '第三段。']), '最后一段。');
    assert.equal(textAfterSent(text, []), text);
    assert.equal(textAfterSent(text, [text]), '');
  });

  it('is undefined when the text does not start with the messages (the answer was produced differently)', () => {
    assert.equal(textAfterSent('另一个回答。', ['第一段。']), undefined);
    assert.equal(textAfterSent('短', ['短文本更长']), undefined);
  });
});
