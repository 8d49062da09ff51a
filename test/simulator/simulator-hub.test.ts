import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimulatorEvent } from '../../src/simulator/simulator-events.js';
import { SimulatorHub } from '../../src/simulator/simulator-hub.js';

const typing = (on: boolean) => ({ type: 'typing', on }) as const;

describe('SimulatorHub', () => {
  it('delivers a user\'s events to that user\'s followers only, with ids that grow across users', () => {
    const hub = new SimulatorHub();
    const alice: SimulatorEvent[] = [];
    const bob: SimulatorEvent[] = [];
    hub.subscribe('oAlice', (event) => alice.push(event));
    const unsubscribeBob = hub.subscribe('oBob', (event) => bob.push(event));
    const first = hub.publish('oAlice', typing(true));
    const second = hub.publish('oBob', typing(true));
    unsubscribeBob();
    hub.publish('oBob', typing(false));
    assert.deepEqual(alice, [first]);
    assert.deepEqual(bob, [second]);
    assert.ok(second.id > first.id);
    assert.ok(Math.abs(first.at - Date.now()) < 1000);
  });

  it('keeps a bounded history per user, oldest dropped first', () => {
    const hub = new SimulatorHub({ historySize: 3 });
    for (let index = 0; index < 5; index++) hub.publish('oAlice', { type: 'customer-service-message', message: { kind: 'text', text: String(index) } });
    assert.deepEqual(hub.history('oAlice').map((event) => event.type === 'customer-service-message' && event.message.kind === 'text' && event.message.text), ['2', '3', '4']);
    assert.deepEqual(hub.history('oNobody'), []);
  });

  it('forgets the user idle longest beyond maxUsers, but never one that is followed', () => {
    const hub = new SimulatorHub({ maxUsers: 2 });
    hub.subscribe('oFollowed', () => {});
    hub.publish('oFollowed', typing(true));
    hub.publish('oIdle', typing(true));
    hub.publish('oNew', typing(true));
    assert.equal(hub.history('oIdle').length, 0, 'the idle, unfollowed user was forgotten');
    assert.equal(hub.history('oFollowed').length, 1);
    assert.equal(hub.history('oNew').length, 1);
  });

  it('a follower that throws is dropped; the others still get the event', () => {
    const hub = new SimulatorHub();
    const received: number[] = [];
    hub.subscribe('oAlice', () => {
      throw new Error('stream closed');
    });
    hub.subscribe('oAlice', (event) => received.push(event.id));
    hub.publish('oAlice', typing(true));
    hub.publish('oAlice', typing(false));
    assert.equal(received.length, 2);
  });
});
