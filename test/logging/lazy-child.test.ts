import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino, { type Logger } from 'pino';
import { lazyChild } from '../../src/logging/lazy-child.js';

function capture(level: string): { log: Logger; lines: Array<Record<string, unknown>>; children: () => number } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const root = pino({ level }, stream);
  let made = 0;
  // The parent as lazyChild sees it, counting the children made from it.
  const log = new Proxy(root, {
    get(target, property) {
      if (property === 'child') {
        return (...args: Parameters<Logger['child']>) => {
          made++;
          return target.child(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { log, lines, children: () => made };
}

describe('lazyChild', () => {
  it('drops calls below the level without making the child', () => {
    const { log, lines, children } = capture('warn');
    const lazy = lazyChild(log, { answerId: 'a1' });
    lazy.info({ x: 1 }, 'not logged');
    lazy.debug('not logged either');
    assert.equal(children(), 0);
    assert.deepEqual(lines, []);
  });

  it('a call at an enabled level makes the child once and carries its bindings', () => {
    const { log, lines, children } = capture('info');
    const lazy = lazyChild(log, { answerId: 'a1' });
    lazy.info({ x: 1 }, 'first');
    lazy.warn('second');
    assert.equal(children(), 1);
    assert.deepEqual(lines.map((line) => [line.msg, line.answerId, line.level]), [['first', 'a1', 30], ['second', 'a1', 40]]);
    assert.equal(lines[0]!.x, 1);
  });

  it('child(), level and isLevelEnabled go to the real child', () => {
    const { log, lines } = capture('info');
    const lazy = lazyChild(log, { answerId: 'a1' });
    assert.equal(lazy.level, 'info');
    assert.equal(lazy.isLevelEnabled('debug'), false);
    lazy.child({ tool: 't' }).error('from a tool');
    assert.deepEqual([lines[0]!.answerId, lines[0]!.tool, lines[0]!.msg], ['a1', 't', 'from a tool']);
  });
});
