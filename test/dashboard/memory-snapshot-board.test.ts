import { MemorySnapshotBoard } from '../../src/dashboard/snapshot-board.js';
import { runSnapshotBoardContract } from './snapshot-board.contract.js';

runSnapshotBoardContract('MemorySnapshotBoard', async () => {
  const board = new MemorySnapshotBoard();
  return { board, other: board, cleanup: async () => {} };
});
