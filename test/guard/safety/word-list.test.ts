import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markdownToWeChatText } from '../../../src/delivery/text/markdown-to-text.js';
import { compileEntry, WordList } from '../../../src/guard/safety/word-list.js';

describe('WordList', () => {
  it('passes text without any entry', () => {
    const list = new WordList({ block: ['坏词'], mask: ['秘密'] });
    assert.deepEqual(list.screen('今天天气很好'), { action: 'pass', text: '今天天气很好', matched: [] });
  });

  it('blocks a text with a blocked word anywhere, literally and case-insensitively', () => {
    const list = new WordList({ block: ['坏词', 'BadWord', 'a.b'], mask: [] });
    assert.equal(list.screen('这里有一个坏词。').action, 'block');
    assert.deepEqual(list.screen('say badword now').matched, ['BadWord']);
    // "." is literal in a word, not "any character"
    assert.equal(list.screen('axb').action, 'pass');
    assert.equal(list.screen('a.b').action, 'block');
  });

  it('masks every character of every occurrence, one mask character per code point', () => {
    const list = new WordList({ block: [], mask: ['秘密', '😀x'] });
    const result = list.screen('秘密和秘密，还有😀X');
    assert.equal(result.action, 'mask');
    assert.equal(result.text, '**和**，还有**');
    assert.deepEqual(result.matched, ['秘密', '😀x']);
  });

  it('uses the configured mask character', () => {
    assert.equal(new WordList({ block: [], mask: ['秘密'] }, { maskCharacter: '□' }).screen('这是秘密').text, '这是□□');
  });

  it('for Markdown (answers), escapes a punctuation mask character so the conversion to WeChat text keeps it', () => {
    const masked = new WordList({ block: [], mask: ['秘密'] }, { markdown: true }).screen('这是秘密，那也是秘密').text;
    assert.equal(masked, '这是\\*\\*，那也是\\*\\*');
    assert.equal(markdownToWeChatText(masked), '这是**，那也是**');
    assert.equal(markdownToWeChatText('这是**，那也是**'), '这是，那也是', 'unescaped, the masks would be read as bold');
    assert.equal(new WordList({ block: [], mask: ['秘密'] }, { markdown: true, maskCharacter: '□' }).screen('秘密').text, '□□');
  });

  it('lets block win over mask', () => {
    const result = new WordList({ block: ['坏词'], mask: ['秘密'] }).screen('秘密的坏词');
    assert.equal(result.action, 'block');
    assert.equal(result.text, '秘密的坏词');
  });

  it('takes /pattern/flags entries as regular expressions, with their flags', () => {
    const list = new WordList({ block: ['/代\\s*开\\s*发票/'], mask: ['/1[3-9]\\d{9}/', '/abc/i'] });
    assert.equal(list.screen('可以代 开 发票').action, 'block');
    assert.equal(list.screen('电话13912345678谢谢').text, '电话***********谢谢');
    assert.equal(list.screen('ABC').text, '***');
    // A regex without i is case-sensitive.
    assert.equal(new WordList({ block: ['/abc/'], mask: [] }).screen('ABC').action, 'pass');
  });

  it('gives the same answer on every call (global patterns keep no state between texts)', () => {
    const list = new WordList({ block: ['坏词'], mask: [] });
    for (let index = 0; index < 3; index++) assert.equal(list.screen('坏词').action, 'block');
  });
});

describe('compileEntry', () => {
  it('refuses entries that cannot be used, without quoting the pattern', () => {
    assert.throws(() => compileEntry('  '), /an empty word/);
    assert.throws(() => compileEntry('/(秘密/'), (error: unknown) => error instanceof Error && /not a valid regular expression/.test(error.message) && !error.message.includes('秘密'));
    assert.throws(() => compileEntry('/a*/'), /matches empty text/);
    assert.throws(() => compileEntry('/abc/g'), /unsupported flags/);
    assert.throws(() => compileEntry('/abc/y'), /unsupported flags/);
  });

  it('reads a lone slash or a word with slashes inside as a word', () => {
    assert.equal(new WordList({ block: ['/'], mask: [] }).screen('a/b').action, 'block');
    assert.equal(new WordList({ block: ['and/or'], mask: [] }).screen('this and/or that').action, 'block');
  });
});
