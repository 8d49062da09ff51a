/**
 * The commands that make the assistant forget the conversation (`ContextStore.reset`): `/reset` and `清除记忆`.
 * The whole message must be the command (surrounding whitespace aside), so that a question merely mentioning
 * it is still answered. Text is compared after NFKC normalisation, so the full-width forms a Chinese keyboard
 * produces (`／reset`, `／ＲＥＳＥＴ`) count too, and `/reset` in any letter case.
 */

export const RESET_COMMANDS: readonly string[] = Object.freeze(['/reset', '清除记忆']);

export function isResetCommand(text: string): boolean {
  const normalized = text.normalize('NFKC').trim().toLowerCase();
  return RESET_COMMANDS.includes(normalized);
}
