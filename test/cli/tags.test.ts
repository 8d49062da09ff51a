/**
 * `wx-backend tags …` against the fake WeChat API, in-process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoStackTrace, startCliFixture, type CliFixture } from './cli-fixture.js';

describe('wx-backend tags', () => {
  let fixture: CliFixture;
  let tagId = 0;
  before(async () => {
    fixture = await startCliFixture();
    for (const openId of ['oAlice', 'oBob', 'oCarol']) fixture.fake.addUser({ openId });
  });
  after(() => fixture.close());

  it('create NAME creates the tag and prints its id', async () => {
    const result = await fixture.run(['tags', 'create', 'VIP', 'customers']);
    assert.equal(result.code, 0, result.output);
    const match = /^created tag (\d+) VIP customers$/.exec(result.stdout.trim());
    assert.ok(match, result.stdout);
    tagId = Number(match[1]);
    assert.equal(fixture.fake.state.tags.get(tagId)?.name, 'VIP customers');
  });

  it('tag ID OPENID… gives the tag to the users', async () => {
    const result = await fixture.run(['tags', 'tag', String(tagId), 'oAlice', 'oBob']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, `tag ${tagId} given to 2 users\n`);
    assert.deepEqual(fixture.fake.state.users.get('oBob')?.tagIds, [tagId]);
  });

  it('list prints id, users carrying it and name', async () => {
    const result = await fixture.run(['tags', 'list']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^ +2 +0 {2}星标组$/m);
    assert.match(result.stdout, new RegExp(`^ +${tagId} +2 {2}VIP customers$`, 'm'));
  });

  it('of OPENID prints the tags a user carries, by id and name', async () => {
    const tagged = await fixture.run(['tags', 'of', 'oAlice']);
    assert.equal(tagged.code, 0, tagged.output);
    assert.match(tagged.stdout, new RegExp(`^ +${tagId} {2}VIP customers$`, 'm'));
    const untagged = await fixture.run(['tags', 'of', 'oCarol']);
    assert.equal(untagged.stdout, 'no tags\n');
  });

  it('untag ID OPENID… takes it away', async () => {
    const result = await fixture.run(['tags', 'untag', String(tagId), 'oAlice']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, `tag ${tagId} taken from 1 user\n`);
    assert.deepEqual(fixture.fake.state.users.get('oAlice')?.tagIds, []);
  });

  it('delete ID deletes it', async () => {
    const result = await fixture.run(['tags', 'delete', String(tagId)]);
    assert.equal(result.code, 0, result.output);
    assert.equal(fixture.fake.state.tags.has(tagId), false);
  });

  it('WeChat errors: exit code 1 with errcode and errmsg', async () => {
    const system = await fixture.run(['tags', 'delete', '2']);
    assert.equal(system.code, 1);
    assert.match(system.stderr, /^wx-backend tags delete: errcode 45058: /m);
    const duplicate = await fixture.run(['tags', 'create', '星标组']);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /errcode 45157/);
    const unknownUser = await fixture.run(['tags', 'of', 'oNobody']);
    assert.equal(unknownUser.code, 1);
    assert.match(unknownUser.stderr, /errcode 40003/);
    assertNoStackTrace(system.output + duplicate.output + unknownUser.output);
  });
});
