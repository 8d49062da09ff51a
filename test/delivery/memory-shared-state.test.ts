import { MemorySharedState } from '../../src/delivery/state/memory-shared-state.js';
import { runSharedStateContract } from './shared-state.contract.js';

// One process: the "other instance" is the same store.
runSharedStateContract('MemorySharedState', async () => {
  const state = new MemorySharedState();
  return { state, other: state, cleanup: async () => {} };
});
