import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markdownToWeChatText } from '../../../src/delivery/text/markdown-to-text.js';

/** Joins lines, so that expected outputs read like the chat bubble. */
const lines = (...text: string[]): string => text.join('\n');

void describe('markdownToWeChatText', () => {
  void it('turns a typical Chinese answer (headings, bold, lists, code) into readable text', () => {
    const markdown = lines(
      '## 如何在 Node.js 中读取文件',
      '',
      '你可以使用 **`fs/promises`** 模块，它提供了*基于 Promise* 的 API。',
      '',
      '### 步骤',
      '',
      '1. 导入模块',
      '2. 调用 `readFile`',
      '3. **处理错误**：使用 `try/catch`',
      '',
      '```javascript',
      "import { readFile } from 'node:fs/promises';",
      '',
      'try {',
      "  const text = await readFile('a.txt', 'utf8');",
      '} catch (error) {',
      '  console.error(error);',
      '}',
      '```',
      '',
      '> **注意**：文件路径相对于当前工作目录。',
      '',
      '更多信息请参阅 [Node.js 文档](https://nodejs.org/api/fs.html)。',
    );
    assert.equal(
      markdownToWeChatText(markdown),
      lines(
        '【如何在 Node.js 中读取文件】',
        '',
        '你可以使用 fs/promises 模块，它提供了基于 Promise 的 API。',
        '',
        '【步骤】',
        '',
        '1. 导入模块',
        '2. 调用 readFile',
        '3. 处理错误：使用 try/catch',
        '',
        "import { readFile } from 'node:fs/promises';",
        '',
        'try {',
        "  const text = await readFile('a.txt', 'utf8');",
        '} catch (error) {',
        '  console.error(error);',
        '}',
        '',
        '「注意：文件路径相对于当前工作目录。」',
        '',
        '更多信息请参阅 Node.js 文档 (https://nodejs.org/api/fs.html)。',
      ),
    );
  });

  void it('turns a typical English answer with nested lists, a table and a rule into readable text', () => {
    const markdown = lines(
      '# Trip checklist',
      '',
      'Here is what to pack:',
      '',
      '- **Documents**',
      '  - Passport',
      '  - *Printed* tickets',
      '- Clothes',
      '    * Jacket',
      '- [ ] Charger',
      '- [x] Adapter',
      '',
      '| Item | Price | Note |',
      '|:-----|------:|:----:|',
      '| Bag | $40 | `carry-on` |',
      '| Hat | $15 | ~~optional~~ |',
      '',
      '---',
      '',
      'Have a *great* trip!',
    );
    assert.equal(
      markdownToWeChatText(markdown),
      lines(
        '【Trip checklist】',
        '',
        'Here is what to pack:',
        '',
        '• Documents',
        '  ◦ Passport',
        '  ◦ Printed tickets',
        '• Clothes',
        '  ◦ Jacket',
        '☐ Charger',
        '☑ Adapter',
        '',
        'Item | Price | Note',
        'Bag | $40 | carry-on',
        'Hat | $15 | optional',
        '',
        '──────────',
        '',
        'Have a great trip!',
      ),
    );
  });

  void it('plain heading style keeps only the heading text, setext headings included', () => {
    assert.equal(markdownToWeChatText('# **Title**\nBody\n\nSub\n---\nMore', { headingStyle: 'plain' }), 'Title\nBody\n\nSub\nMore');
    assert.equal(markdownToWeChatText('总结\n===\n内容'), '【总结】\n内容');
  });

  void it('removes real HTML tags with their attributes, but not comparisons that look like tags', () => {
    assert.equal(markdownToWeChatText('<span class="x" id=\'y\' data-z=1>hi</span> and <b>bold</b>'), 'hi and bold');
    assert.equal(markdownToWeChatText('a<b & c>d'), 'a<b & c>d');
  });

  void it('leaves text that only looks like Markdown alone', () => {
    const text = lines(
      '3*4=12，2*3*4=24，2**10 = 1024，x * y * z',
      'snake_case_name 和 __init__ 方法，*args 与 **kwargs',
      '#1 priority，#话题，C# 语言',
      'List<String> 和 a < b > c，约~5 分钟，1~3 天',
      'a<b & c>d，if a<b and c>d then',
      '价格：¥100（含税）；“引号”、『书名』！？',
      '1.5 倍速度，v2.0 版本',
    );
    assert.equal(markdownToWeChatText(text), text);
  });

  void it('removes emphasis next to Chinese punctuation, where strict CommonMark would leave the markers', () => {
    assert.equal(markdownToWeChatText('**重点：**记住这个。**“引用”**很重要，*斜体*也是。'), '重点：记住这个。“引用”很重要，斜体也是。');
    assert.equal(markdownToWeChatText('***粗斜体*** and ___both___ and __two words__'), '粗斜体 and both and two words');
  });

  void it('turns links and images into text with their URLs', () => {
    assert.equal(markdownToWeChatText('See [the docs](https://example.com/docs "Docs") now.'), 'See the docs (https://example.com/docs) now.');
    assert.equal(markdownToWeChatText('[https://example.com](https://example.com) and <https://a.b/c_d>'), 'https://example.com and https://a.b/c_d');
    assert.equal(markdownToWeChatText('Wiki: [Markdown](https://en.wikipedia.org/wiki/Markdown_(language))'), 'Wiki: Markdown (https://en.wikipedia.org/wiki/Markdown_(language))');
    assert.equal(markdownToWeChatText('![架构图](https://example.com/a.png)\n![](https://example.com/b.png)'), '[图片：架构图] https://example.com/a.png\n[图片] https://example.com/b.png');
    assert.equal(markdownToWeChatText('Mail <mailto:a@b.c>'), 'Mail a@b.c');
  });

  void it('never takes markers inside URLs or code for emphasis', () => {
    assert.equal(markdownToWeChatText('Open https://example.com/my_file_name_v2.txt, then run `rm -rf *_tmp_*`.'), 'Open https://example.com/my_file_name_v2.txt, then run rm -rf *_tmp_*.');
    assert.equal(markdownToWeChatText('**https://example.com/a_b**'), 'https://example.com/a_b');
    assert.equal(markdownToWeChatText('Use ``code with ` tick`` here'), 'Use code with ` tick here');
  });

  void it('unescapes escaped characters and decodes entities, strips HTML tags', () => {
    assert.equal(markdownToWeChatText('\\*not em\\* \\# \\_x\\_ 1\\. \\\\'), '*not em* # _x_ 1. \\');
    assert.equal(markdownToWeChatText('&lt;div&gt; &amp; &quot;q&quot; &#39;s&#39; &#x1F600; &copy; &unknown;'), '<div> & "q" \'s\' 😀 © &unknown;');
    assert.equal(markdownToWeChatText('<b>粗体</b>与<span style="color:red">红色</span><br>下一行<!-- 注释 -->'), '粗体与红色\n下一行');
    assert.equal(markdownToWeChatText('<details><summary>展开</summary>\n\n内容\n\n</details>'), '展开\n\n内容');
  });

  void it('renumbers a list numbered 1, 1, 1 and keeps explicit numbers', () => {
    assert.equal(markdownToWeChatText('1. a\n1. b\n1. c'), '1. a\n2. b\n3. c');
    assert.equal(markdownToWeChatText('3) c\n4) d\n\n- x\n1. new'), '3. c\n4. d\n\n• x\n1. new');
    assert.equal(markdownToWeChatText('1. 第一步\n   说明文字\n\n   ```sh\n   npm test\n   ```\n2. 第二步'), '1. 第一步\n  说明文字\n\nnpm test\n\n2. 第二步');
  });

  void it('keeps code blocks verbatim: no unescaping, no emphasis, no list or heading conversion', () => {
    const code = lines('# comment', '- not a list', 'x = a*b*c  # **kept**', '\\*raw\\*', '<b>html</b>');
    assert.equal(markdownToWeChatText(`前言\n~~~python\n${code}\n~~~\n后记`), `前言\n\n${code}\n\n后记`);
    // An unclosed fence (a streamed answer cut short) runs to the end.
    assert.equal(markdownToWeChatText('```\n**x**'), '**x**');
    // A longer closing fence closes; a shorter one does not.
    assert.equal(markdownToWeChatText('````\n```\nin\n`````\nout'), '```\nin\n\nout');
  });

  void it('wraps block quotes in 「」 and converts their content', () => {
    assert.equal(markdownToWeChatText('> 第一行\n> - 要点\n>\n> > 嵌套'), '「第一行\n• 要点\n\n「嵌套」」');
  });

  void it('handles tables with escaped pipes and inline formatting in cells', () => {
    assert.equal(markdownToWeChatText('| 语法 | 含义 |\n| --- | --- |\n| `a \\| b` | **或** |\n| [链接](https://x.y) | 无 |'), '语法 | 含义\na | b | 或\n链接 (https://x.y) | 无');
  });

  void it('collapses blank lines, removes trailing spaces and hard-break backslashes, trims', () => {
    assert.equal(markdownToWeChatText('\n\n  第一段  \n\n\n\n\n第二段\\\n第三行   \r\n\r\n\r\n结束\n\n'), '第一段\n\n第二段\n第三行\n\n结束');
    assert.equal(markdownToWeChatText(''), '');
    assert.equal(markdownToWeChatText('***\n\n---'), '──────────\n\n──────────');
  });

  void it('keeps emoji and other astral characters intact around markers', () => {
    assert.equal(markdownToWeChatText('**😀重点😀** 和 *👨‍👩‍👧 家庭*'), '😀重点😀 和 👨‍👩‍👧 家庭');
  });
});
