import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ANSWER_RECORD_TTL_MS } from '../../src/delivery/state/customer-service-ledger.js';
import { MemoryCustomerServiceLedger } from '../../src/delivery/state/memory-customer-service-ledger.js';
import { runCustomerServiceLedgerContract, TestClock } from './customer-service-ledger.contract.js';

// One process: the "other instance" is the same ledger.
runCustomerServiceLedgerContract('MemoryCustomerServiceLedger', async (now) => {
  const ledger = new MemoryCustomerServiceLedger({ now });
  return { ledger, other: ledger, cleanup: async () => {} };
});

void it('MemoryCustomerServiceLedger: an answer\'s record expires ANSWER_RECORD_TTL_MS after its last take', async () => {
  const clock = new TestClock();
  const ledger = new MemoryCustomerServiceLedger({ now: clock.now });
  await ledger.grant('oUser', 'message');
  assert.equal(await ledger.take('oUser', 'answer', 0, 'first'), 'ok');
  clock.advance(ANSWER_RECORD_TTL_MS - 1);
  assert.equal(await ledger.take('oUser', 'answer', 1, 'second'), 'ok');
  clock.advance(ANSWER_RECORD_TTL_MS - 1);
  assert.deepEqual(await ledger.sent('answer'), ['first', 'second']);
  clock.advance(1);
  assert.deepEqual(await ledger.sent('answer'), []);
  await ledger.close();
});

void it('MemoryCustomerServiceLedger: custom grants replace WeChat\'s', async () => {
  const clock = new TestClock();
  const ledger = new MemoryCustomerServiceLedger({
    now: clock.now,
    grants: { message: { messages: 2, windowMs: 1_000 }, menu: { messages: 1, windowMs: 10 }, subscribe: { messages: 1, windowMs: 10 }, scan: { messages: 1, windowMs: 10 } },
  });
  await ledger.grant('oUser', 'message');
  assert.equal(await ledger.allowance('oUser'), 2);
  clock.advance(1_000);
  assert.equal(await ledger.allowance('oUser'), 0);
  await ledger.close();
});
