/**
 * Where an answer's text continues after the messages already sent of it — for a delivery taken over from an
 * instance that died part-way. The messages are pieces of the same WeChat text, split and re-joined at paragraph
 * boundaries, so they are compared with the text ignoring whitespace.
 */

const isSpace = (character: string): boolean => /\s/u.test(character);

/** The rest of `text` after `sent` (in order), or undefined when `text` does not start with them (a different answer). */
export function textAfterSent(text: string, sent: readonly string[]): string | undefined {
  const expected = [...sent.join('')].filter((character) => !isSpace(character));
  let position = 0;
  const characters = [...text];
  for (const character of expected) {
    while (position < characters.length && isSpace(characters[position]!)) position += 1;
    if (characters[position] !== character) return undefined;
    position += 1;
  }
  return characters.slice(position).join('').trim();
}
