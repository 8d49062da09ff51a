// Texts and checks shared by the text-delivery tests.
import assert from 'node:assert/strict';

const SENTENCES = [
  '人工智能正在深刻地改变我们的工作和生活方式。',
  '从语音助手到推荐系统，它几乎无处不在！',
  '但是，我们也需要认真思考它带来的风险，例如隐私、偏见和就业问题。',
  '你是否想过，未来的教育会是什么样子？',
  '专家认为，终身学习将成为每个人的必修课；而学校的角色也会随之改变。',
  '总之，技术本身并无善恶，关键在于我们如何使用它。',
  '以 GPT-4 为例，它可以写代码、翻译文本，甚至帮助医生分析病例。',
];

/** A Chinese answer of at least `minChars` characters: paragraphs of 3 to 6 sentences, blank lines between. */
export function chineseAnswer(minChars: number): string {
  const paragraphs: string[] = [];
  let length = 0;
  for (let paragraph = 0; length < minChars; paragraph += 1) {
    const sentences: string[] = [];
    for (let sentence = 0; sentence < 3 + (paragraph % 4); sentence += 1) sentences.push(SENTENCES[(paragraph * 5 + sentence) % SENTENCES.length]!);
    const text = sentences.join('');
    paragraphs.push(text);
    length += text.length + 2;
  }
  return paragraphs.join('\n\n');
}

/** Pieces appear in `text` in order, with nothing but whitespace between them or around them. */
export function assertPiecesCover(text: string, pieces: readonly string[]): void {
  let position = 0;
  for (const piece of pieces) {
    const found = text.indexOf(piece, position);
    assert.ok(found >= 0, `piece not found in order: ${JSON.stringify(piece.slice(0, 40))}`);
    assert.equal(text.slice(position, found).trim(), '', `text lost before ${JSON.stringify(piece.slice(0, 40))}`);
    position = found + piece.length;
  }
  assert.equal(text.slice(position).trim(), '', 'text lost at the end');
}

/** Whether `text` contains half of a surrogate pair on its own. */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}
