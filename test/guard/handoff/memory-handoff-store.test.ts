import { MemoryHandoffStore } from '../../../src/guard/handoff/memory-handoff-store.js';
import { runHandoffStoreContract } from './handoff-store.contract.js';

// One instance: "another instance" is the same store.
runHandoffStoreContract('MemoryHandoffStore', async (now) => {
  const store = new MemoryHandoffStore({ now });
  return { store, other: store, cleanup: async () => {} };
});
