import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createCurrentTimeTool } from '../../../src/ai/tools/builtin/current-time.js';
import { createUserProfileTool, type UserProfileSource } from '../../../src/ai/tools/builtin/user-profile.js';
import { ToolRegistry, type ToolCallContext } from '../../../src/ai/tools/tool-registry.js';

const context: ToolCallContext = { userId: 'o_alice', signal: new AbortController().signal, log: pino({ level: 'silent' }) };
const instant = new Date('2024-05-01T06:03:05Z');

describe('current_time', () => {
  const registry = new ToolRegistry([createCurrentTimeTool({ now: () => instant })]);

  it('answers for Asia/Shanghai by default', async () => {
    const result = await registry.execute({ id: 't1', name: 'current_time', arguments: {} }, context);
    assert.deepEqual(JSON.parse(result.content), {
      timezone: 'Asia/Shanghai', localTime: '2024-05-01 14:03:05', weekday: 'Wednesday', utcOffset: '+08:00', utc: '2024-05-01T06:03:05.000Z',
    });
  });

  it('answers for the time zone the model names', async () => {
    const result = await registry.execute({ id: 't2', name: 'current_time', arguments: { timezone: 'America/New_York' } }, context);
    assert.deepEqual(JSON.parse(result.content), {
      timezone: 'America/New_York', localTime: '2024-05-01 02:03:05', weekday: 'Wednesday', utcOffset: '-04:00', utc: '2024-05-01T06:03:05.000Z',
    });
    const utc = JSON.parse((await registry.execute({ id: 't3', name: 'current_time', arguments: { timezone: 'UTC' } }, context)).content) as { utcOffset: string };
    assert.equal(utc.utcOffset, '+00:00');
  });

  it('tells the model when the time zone does not exist', async () => {
    const result = await registry.execute({ id: 't4', name: 'current_time', arguments: { timezone: 'Mars/Olympus_Mons' } }, context);
    assert.equal(result.isError, true);
    assert.match(result.content, /Unknown time zone/);
  });
});

describe('user_profile', () => {
  it('describes the current user from the injected source, and only that user', async () => {
    const asked: string[] = [];
    const source: UserProfileSource = {
      async getUser(openId) {
        asked.push(openId);
        return { subscribed: true, subscribeTime: 1_700_000_000, language: 'zh_CN', remark: 'VIP', tags: ['星标组'] };
      },
    };
    const tool = createUserProfileTool(source);
    assert.deepEqual(tool.spec.parameters, { type: 'object', properties: {} });
    const result = await new ToolRegistry([tool]).execute({ id: 'u1', name: 'user_profile', arguments: { openId: 'o_bob' } }, context);
    assert.deepEqual(asked, ['o_alice']);
    assert.deepEqual(JSON.parse(result.content), {
      subscribed: true, subscribedSince: '2023-11-14T22:13:20.000Z', language: 'zh_CN', remark: 'VIP', tags: ['星标组'],
    });
  });

  it('says no more than "not subscribed" for someone who left', async () => {
    const tool = createUserProfileTool({ getUser: async () => ({ subscribed: false }) });
    const result = await new ToolRegistry([tool]).execute({ id: 'u2', name: 'user_profile', arguments: {} }, context);
    assert.equal(result.content, '{"subscribed":false}');
  });

  it('reports a failed lookup to the model as a tool failure', async () => {
    const tool = createUserProfileTool({ getUser: async () => { throw new Error('WeChat 40001'); } });
    const result = await new ToolRegistry([tool]).execute({ id: 'u3', name: 'user_profile', arguments: {} }, context);
    assert.equal(result.isError, true);
  });
});
