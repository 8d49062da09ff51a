import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ContentFilterFileError, loadContentFilterFile, parseContentRules } from '../../../src/guard/safety/content-filter-file.js';
import { temporaryFolder } from '../../support/app-instances.js';

const problemsOf = (text: string): string[] => {
  try {
    parseContentRules(text);
  } catch (error) {
    if (error instanceof ContentFilterFileError) return error.problems;
    throw error;
  }
  assert.fail('expected problems');
};

describe('content filter file', () => {
  const folder = temporaryFolder('content-filter');
  after(() => folder.remove());

  it('reads the lists of each direction, `both` adding to each', () => {
    const rules = parseContentRules(`
both:
  block: [赌博]
incoming:
  block: [进来的坏词]
  mask: [手机号]
outgoing:
  block: ["/代\\\\s*开发票/"]
  mask: [竞品, 8964]
`);
    assert.equal(rules.incoming.screen('赌博').action, 'block');
    assert.equal(rules.outgoing.screen('赌博').action, 'block');
    assert.equal(rules.incoming.screen('进来的坏词').action, 'block');
    assert.equal(rules.outgoing.screen('进来的坏词').action, 'pass');
    assert.equal(rules.incoming.screen('我的手机号').text, '我的***');
    assert.equal(rules.outgoing.screen('代 开发票').action, 'block');
    assert.equal(rules.outgoing.screen('竞品和8964').text, '\\*\\*和\\*\\*\\*\\*', 'a number is read as a word; answers are Markdown');
    assert.deepEqual(rules.outgoing.size, { block: 2, mask: 2 });
  });

  it('takes mask_character', () => {
    assert.equal(parseContentRules('mask_character: "×"\noutgoing:\n  mask: [秘密]\n').outgoing.screen('秘密').text, '××');
  });

  it('reads an empty file as no lists', () => {
    const rules = parseContentRules('');
    assert.ok(rules.incoming.empty && rules.outgoing.empty);
    assert.ok(parseContentRules('# only a comment\n').incoming.empty);
  });

  it('reports every problem at once, each with its place', () => {
    const problems = problemsOf(`
incomming:
  block: [a]
incoming:
  blok: [b]
  mask: 秘密
outgoing:
  block: [ok, "", "/(/", {word: x}, "/x*/"]
mask_character: "**"
`);
    assert.deepEqual(problems, [
      'incomming: unknown section (expected incoming, outgoing, both or mask_character)',
      'mask_character: expected one character',
      'incoming.blok: unknown list (expected block or mask)',
      'incoming.mask: expected a list of words',
      'outgoing.block[1]: an empty word',
      'outgoing.block[2]: not a valid regular expression (Unterminated group)',
      'outgoing.block[3]: expected a word or /pattern/',
      'outgoing.block[4]: the pattern matches empty text',
    ]);
  });

  it('reports YAML that does not parse, or is not a mapping, without quoting the file', () => {
    const syntax = problemsOf('outgoing:\n  block: [秘密\n');
    assert.ok(syntax.length > 0 && syntax.every((problem) => problem.startsWith('not valid YAML') && !problem.includes('秘密')), syntax.join('\n'));
    assert.deepEqual(problemsOf('- 秘密\n'), ['expected a mapping with incoming, outgoing or both sections']);
    assert.deepEqual(problemsOf('outgoing: [秘密]\n'), ['outgoing: expected a mapping with block and/or mask lists']);
  });

  it('loads a file, and says when it cannot be read', () => {
    const file = path.join(folder.path, 'filter.yaml');
    writeFileSync(file, 'outgoing:\n  block: [坏词]\n');
    assert.equal(loadContentFilterFile(file).outgoing.screen('坏词').action, 'block');
    assert.throws(() => loadContentFilterFile(path.join(folder.path, 'missing.yaml')), (error: unknown) =>
      error instanceof ContentFilterFileError && error.problems[0] === 'cannot read the file (ENOENT)');
  });
});
