import assert from 'node:assert/strict';
import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadContentFilterFile } from '../../../src/guard/safety/content-filter-file.js';
import { ContentFilterSource } from '../../../src/guard/safety/content-filter-source.js';
import { temporaryFolder } from '../../support/app-instances.js';
import { eventually } from '../../support/delivery-stack.js';
import { capturedLog, LEVEL } from './captured-log.js';

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ContentFilterSource', () => {
  const folder = temporaryFolder('filter-source');
  after(() => folder.remove());
  let count = 0;
  /** A filter file blocking `word` outgoing, and a source on it. */
  const start = (word: string, options: { watch?: boolean; settleMs?: number } = {}) => {
    const file = path.join(folder.path, `filter-${++count}.yaml`);
    writeFileSync(file, `outgoing:\n  block: [${word}]\n`);
    const captured = capturedLog('info');
    const source = new ContentFilterSource({ file, initial: loadContentFilterFile(file), log: captured.log, settleMs: 50, ...options });
    return { file, source, ...captured, blocks: (text: string) => source.current().outgoing.screen(text).action === 'block' };
  };

  it('reloads a changed file by itself (watching its folder), without a message to check', async () => {
    const { file, source, lines, blocks } = start('旧词');
    after(() => source.close());
    writeFileSync(file, 'outgoing:\n  block: [新词]\n');
    assert.ok(await eventually(() => lines.some((line) => line.msg === 'content filter reloaded'), 3000), 'reloaded without a call to current()');
    assert.ok(blocks('新词') && !blocks('旧词'));
  });

  it('notices a change on use when nothing watches (a mount without file events)', async () => {
    // A long settle time: the check right after the write must fall within it even on a busy machine.
    const { file, blocks } = start('旧词', { watch: false, settleMs: 1000 });
    assert.ok(blocks('旧词'));
    writeFileSync(file, 'outgoing:\n  block: [新词]\n');
    // Within the settle time the old lists stay (a save may be half-written); then the next use takes the new ones.
    assert.ok(blocks('旧词'));
    await settle(1100);
    assert.ok(blocks('新词') && !blocks('旧词'));
  });

  it('takes a file replaced by a rename (an atomic save)', async () => {
    const { file, source, blocks } = start('旧词');
    after(() => source.close());
    const temporary = `${file}.tmp`;
    writeFileSync(temporary, 'outgoing:\n  block: [新词]\n');
    // Same size and an old mtime: only the inode tells the new file from the old one.
    utimesSync(temporary, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    renameSync(temporary, file);
    assert.ok(await eventually(() => blocks('新词') && !blocks('旧词'), 3000));
  });

  it('keeps the last good lists when the file breaks, with one WARN per broken version, and takes the next good one', async () => {
    const { file, source, lines, blocks } = start('好词');
    after(() => source.close());
    writeFileSync(file, 'outgoing:\n  block: [秘密的坏列表\n');
    const warned = () => lines.filter((line) => line.level === LEVEL.warn);
    assert.ok(await eventually(() => warned().length > 0, 3000));
    for (let index = 0; index < 5; index++) assert.ok(blocks('好词'), 'the last good list still applies');
    await settle(200); // the watcher's own check too
    const warnings = warned();
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!.msg, /not usable; keeping the lists loaded before/);
    assert.doesNotMatch(JSON.stringify(warnings), /秘密的坏列表|好词/, 'the lists are not logged');

    writeFileSync(file, 'outgoing:\n  block: [修好的词]\n');
    assert.ok(await eventually(() => blocks('修好的词'), 3000));
    assert.ok(!blocks('好词'));
    const reloaded = lines.filter((line) => line.msg === 'content filter reloaded');
    assert.deepEqual(reloaded.at(-1)?.outgoing, { block: 1, mask: 0 });
    assert.doesNotMatch(JSON.stringify(lines), /修好的词/);
  });

  it('keeps the lists when the file is deleted, warning once', async () => {
    const { file, source, lines, blocks } = start('留下的词');
    after(() => source.close());
    rmSync(file);
    await settle(200);
    for (let index = 0; index < 3; index++) assert.ok(blocks('留下的词'));
    assert.equal(lines.filter((line) => line.level === LEVEL.warn).length, 1);
  });
});
