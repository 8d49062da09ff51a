import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isResetCommand } from '../../../src/conversation/context/reset-command.js';

void describe('isResetCommand', () => {
  void it('accepts /reset in any case, full-width forms and 清除记忆, with surrounding whitespace', () => {
    for (const text of ['/reset', ' /RESET ', '/Reset\n', '／reset', '／ＲＥＳＥＴ', '清除记忆', '  清除记忆　']) {
      assert.equal(isResetCommand(text), true, JSON.stringify(text));
    }
  });

  void it('refuses anything else, including messages that merely mention a command', () => {
    for (const text of ['', 'reset', '/ reset', '/reset now', '请清除记忆', '清除记忆吧', '/resets', '\\reset']) {
      assert.equal(isResetCommand(text), false, JSON.stringify(text));
    }
  });
});
