// The contract every CustomerServiceLedger implementation passes (src/delivery/state/customer-service-ledger.ts):
// WeChat's grants per interaction, allowances that do not add up, windows that end, and takes that record each
// message of an answer once and never beyond the allowance, also with two instances taking at once.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { CustomerServiceLedger, Interaction, TakeOutcome } from '../../src/delivery/state/customer-service-ledger.js';

export interface CustomerServiceLedgerContractOptions {
  /** Returning false skips the test (Redis unreachable outside CI). */
  beforeEach?: (t: TestContext) => Promise<boolean>;
}

/**
 * `create` returns a ledger and a second one over the same data (another instance, on its own connection), both
 * reading the time from `now`, plus cleanup.
 */
export type CreateCustomerServiceLedger = (now: () => number) => Promise<{
  ledger: CustomerServiceLedger;
  other: CustomerServiceLedger;
  cleanup: () => Promise<void>;
}>;

/** A clock the test moves; it starts at the real time so that stores expiring by real time agree with it. */
export class TestClock {
  ms = Date.now();
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Fixture {
  ledger: CustomerServiceLedger;
  other: CustomerServiceLedger;
  clock: TestClock;
}

/** Takes messages of the answer to `messageKey` one after another, resuming after what is recorded, until refused. */
async function takeUntilRefused(ledger: CustomerServiceLedger, openId: string, messageKey: string, worker: string): Promise<number> {
  let taken = 0;
  for (;;) {
    const index = (await ledger.sent(messageKey)).length;
    const outcome = await ledger.take(openId, messageKey, index, `${worker}:${index}`);
    if (outcome === 'quota') return taken;
    if (outcome === 'ok') taken += 1;
  }
}

export function runCustomerServiceLedgerContract(name: string, create: CreateCustomerServiceLedger, options: CustomerServiceLedgerContractOptions = {}): void {
  function contractTest(title: string, body: (fixture: Fixture) => Promise<void>): void {
    void it(title, async (t) => {
      if (options.beforeEach && !(await options.beforeEach(t))) return;
      const clock = new TestClock();
      const { ledger, other, cleanup } = await create(clock.now);
      try {
        await body({ ledger, other, clock });
      } finally {
        await ledger.close();
        await other.close();
        await cleanup();
      }
    });
  }

  void describe(`${name} (CustomerServiceLedger contract)`, () => {
    contractTest('nothing granted: allowance 0, and a take is refused with quota and records nothing', async ({ ledger }) => {
      assert.equal(await ledger.allowance('oNobody'), 0);
      assert.equal(await ledger.take('oNobody', 'm1', 0, 'hello'), 'quota');
      assert.deepEqual(await ledger.sent('m1'), []);
    });

    contractTest('a message allows 5 messages for 48 hours', async ({ ledger, clock }) => {
      await ledger.grant('oUser', 'message');
      assert.equal(await ledger.allowance('oUser'), 5);
      clock.advance(48 * HOUR - 1);
      assert.equal(await ledger.allowance('oUser'), 5);
      clock.advance(1);
      assert.equal(await ledger.allowance('oUser'), 0);
      assert.equal(await ledger.take('oUser', 'm1', 0, 'too late'), 'quota');
      assert.deepEqual(await ledger.sent('m1'), []);
    });

    for (const interaction of ['menu', 'subscribe', 'scan'] as const satisfies readonly Interaction[]) {
      contractTest(`a ${interaction} allows 3 messages for 1 minute`, async ({ ledger, clock }) => {
        await ledger.grant('oUser', interaction);
        assert.equal(await ledger.allowance('oUser'), 3);
        clock.advance(MINUTE - 1);
        assert.equal(await ledger.allowance('oUser'), 3);
        clock.advance(1);
        assert.equal(await ledger.allowance('oUser'), 0);
      });
    }

    contractTest('confirmations: counted from the first message, seen by every instance, never lowered', async ({ ledger, other }) => {
      await ledger.grant('oUser', 'message');
      assert.equal(await ledger.confirmed('m1'), 0);
      assert.equal(await ledger.take('oUser', 'm1', 0, 'first'), 'ok');
      assert.equal(await ledger.take('oUser', 'm1', 1, 'second'), 'ok');
      await ledger.confirm('m1', 0);
      assert.equal(await other.confirmed('m1'), 1, 'the second message was recorded but not confirmed: its arrival is unknown');
      await other.confirm('m1', 1);
      await ledger.confirm('m1', 0);
      assert.equal(await ledger.confirmed('m1'), 2);
      assert.equal(await ledger.confirmed('m2'), 0);
    });

    contractTest('allowances are per user', async ({ ledger }) => {
      await ledger.grant('oMessage', 'message');
      await ledger.grant('oClick', 'menu');
      assert.equal(await ledger.take('oMessage', 'm1', 0, 'a'), 'ok');
      assert.equal(await ledger.allowance('oMessage'), 4);
      assert.equal(await ledger.allowance('oClick'), 3);
      assert.equal(await ledger.allowance('oOther'), 0);
    });

    contractTest('no adding up: a message then a click leaves 5 (not 8) for 48 hours', async ({ ledger, clock }) => {
      await ledger.grant('oUser', 'message');
      await ledger.grant('oUser', 'menu');
      assert.equal(await ledger.allowance('oUser'), 5);
      clock.advance(47 * HOUR);
      assert.equal(await ledger.allowance('oUser'), 5);
    });

    contractTest('no adding up: a click then a message leaves 5 for 48 hours', async ({ ledger, clock }) => {
      await ledger.grant('oUser', 'menu');
      await ledger.grant('oUser', 'message');
      assert.equal(await ledger.allowance('oUser'), 5);
      clock.advance(47 * HOUR);
      assert.equal(await ledger.allowance('oUser'), 5);
    });

    contractTest('a click after 4 of 5 were used raises what is left to 3, until the message\'s window ends', async ({ ledger, clock }) => {
      await ledger.grant('oUser', 'message');
      for (let index = 0; index < 4; index++) assert.equal(await ledger.take('oUser', 'm1', index, `part ${index}`), 'ok');
      assert.equal(await ledger.allowance('oUser'), 1);
      clock.advance(HOUR);
      await ledger.grant('oUser', 'menu');
      assert.equal(await ledger.allowance('oUser'), 3);
      // The message's window (47 more hours) outlasts the click's minute.
      clock.advance(2 * MINUTE);
      assert.equal(await ledger.allowance('oUser'), 3);
      clock.advance(47 * HOUR - 2 * MINUTE - 1);
      assert.equal(await ledger.allowance('oUser'), 3);
      clock.advance(1);
      assert.equal(await ledger.allowance('oUser'), 0);
    });

    contractTest('a click with 4 left keeps 4 (max(left, grant), not a reset to 3 nor 4 + 3)', async ({ ledger }) => {
      await ledger.grant('oUser', 'message');
      assert.equal(await ledger.take('oUser', 'm1', 0, 'one'), 'ok');
      await ledger.grant('oUser', 'scan');
      assert.equal(await ledger.allowance('oUser'), 4);
    });

    contractTest('a click after a used-up click grants 3 again; a lapsed window leaves nothing behind', async ({ ledger, clock }) => {
      await ledger.grant('oUser', 'menu');
      for (let index = 0; index < 3; index++) assert.equal(await ledger.take('oUser', 'm1', index, `part ${index}`), 'ok');
      assert.equal(await ledger.take('oUser', 'm1', 3, 'fourth'), 'quota');
      await ledger.grant('oUser', 'menu');
      assert.equal(await ledger.allowance('oUser'), 3);
      // A message's 5 that lapsed unused do not survive into a later click's grant or window.
      await ledger.grant('oUser', 'message');
      clock.advance(48 * HOUR);
      await ledger.grant('oUser', 'subscribe');
      assert.equal(await ledger.allowance('oUser'), 3);
      clock.advance(MINUTE);
      assert.equal(await ledger.allowance('oUser'), 0);
    });

    contractTest('take records an answer\'s messages in order, each taking one from the allowance; texts kept intact', async ({ ledger }) => {
      await ledger.grant('oUser', 'message');
      const texts = ['第一段 🙂', '[image]', ']]> "quoted" \n line'];
      for (const [index, text] of texts.entries()) assert.equal(await ledger.take('oUser', 'answer-1', index, text), 'ok');
      assert.deepEqual(await ledger.sent('answer-1'), texts);
      assert.equal(await ledger.allowance('oUser'), 2);
      assert.deepEqual(await ledger.sent('answer-2'), []);
    });

    contractTest('a message already recorded is taken: nothing recorded, nothing taken from the allowance', async ({ ledger }) => {
      await ledger.grant('oUser', 'message');
      assert.equal(await ledger.take('oUser', 'answer', 0, 'first'), 'ok');
      assert.equal(await ledger.take('oUser', 'answer', 1, 'second'), 'ok');
      assert.equal(await ledger.take('oUser', 'answer', 0, 'first again'), 'taken');
      assert.equal(await ledger.take('oUser', 'answer', 1, 'second again'), 'taken');
      assert.deepEqual(await ledger.sent('answer'), ['first', 'second']);
      assert.equal(await ledger.allowance('oUser'), 3);
    });

    contractTest('taken wins over quota: a worker learns its message was recorded even once the allowance is gone', async ({ ledger }) => {
      await ledger.grant('oUser', 'menu');
      for (let index = 0; index < 3; index++) assert.equal(await ledger.take('oUser', 'answer', index, `part ${index}`), 'ok');
      assert.equal(await ledger.take('oUser', 'answer', 2, 'part 2 again'), 'taken');
      assert.equal(await ledger.take('oUser', 'answer', 3, 'part 3'), 'quota');
      assert.deepEqual(await ledger.sent('answer'), ['part 0', 'part 1', 'part 2']);
    });

    contractTest('the allowance is the user\'s, shared by the answers to all their messages', async ({ ledger }) => {
      await ledger.grant('oUser', 'message');
      for (let index = 0; index < 3; index++) assert.equal(await ledger.take('oUser', 'answer-a', index, `a${index}`), 'ok');
      assert.equal(await ledger.take('oUser', 'answer-b', 0, 'b0'), 'ok');
      assert.equal(await ledger.take('oUser', 'answer-b', 1, 'b1'), 'ok');
      assert.equal(await ledger.take('oUser', 'answer-b', 2, 'b2'), 'quota');
      assert.equal(await ledger.take('oUser', 'answer-a', 3, 'a3'), 'quota');
      assert.deepEqual(await ledger.sent('answer-b'), ['b0', 'b1']);
      assert.equal(await ledger.allowance('oUser'), 0);
    });

    contractTest('an index that skips an unrecorded message, or is not a non-negative integer, is rejected and changes nothing', async ({ ledger }) => {
      await ledger.grant('oUser', 'message');
      await assert.rejects(ledger.take('oUser', 'answer', 1, 'skips 0'), RangeError);
      assert.equal(await ledger.take('oUser', 'answer', 0, 'zero'), 'ok');
      await assert.rejects(ledger.take('oUser', 'answer', 2, 'skips 1'), RangeError);
      for (const index of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) await assert.rejects(ledger.take('oUser', 'answer', index, 'bad'), RangeError);
      assert.deepEqual(await ledger.sent('answer'), ['zero']);
      assert.equal(await ledger.allowance('oUser'), 4);
    });

    contractTest('shared: what one instance grants and records, the other sees', async ({ ledger, other }) => {
      await ledger.grant('oUser', 'message');
      assert.equal(await other.allowance('oUser'), 5);
      assert.equal(await other.take('oUser', 'answer', 0, 'from the other'), 'ok');
      assert.deepEqual(await ledger.sent('answer'), ['from the other']);
      assert.equal(await ledger.take('oUser', 'answer', 0, 'mine'), 'taken');
      assert.equal(await ledger.allowance('oUser'), 4);
    });

    contractTest('two instances taking at once never exceed the allowance nor record an index twice', async ({ ledger, other }) => {
      await ledger.grant('oUser', 'message');
      // Two workers per answer (one on each instance), three answers of the same user, all at once.
      const answers = ['answer-a', 'answer-b', 'answer-c'];
      const workers = answers.flatMap((answer) => [
        takeUntilRefused(ledger, 'oUser', answer, 'first'),
        takeUntilRefused(other, 'oUser', answer, 'second'),
      ]);
      const taken = (await Promise.all(workers)).reduce((sum, count) => sum + count, 0);
      assert.equal(taken, 5);
      const recorded = await Promise.all(answers.map((answer) => ledger.sent(answer)));
      assert.equal(recorded.flat().length, 5);
      for (const texts of recorded) assert.deepEqual(texts.map((text) => Number(text.split(':')[1])), texts.map((_, index) => index));
      assert.equal(await other.allowance('oUser'), 0);
    });

    contractTest('many first messages taken at once from two instances: exactly the allowance is ok', async ({ ledger, other }) => {
      await ledger.grant('oUser', 'menu');
      const outcomes: TakeOutcome[] = await Promise.all(
        Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? ledger : other).take('oUser', `answer-${index}`, 0, `first of ${index}`)),
      );
      assert.equal(outcomes.filter((outcome) => outcome === 'ok').length, 3);
      assert.equal(outcomes.filter((outcome) => outcome === 'quota').length, 37);
      const recorded = await Promise.all(outcomes.map((_, index) => other.sent(`answer-${index}`)));
      assert.deepEqual(
        recorded.map((texts) => texts.length),
        outcomes.map((outcome) => (outcome === 'ok' ? 1 : 0)),
      );
    });
  });
}
