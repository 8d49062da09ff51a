/**
 * `GET /a/:id`: the full text of a long answer, linked from a customer-service message that had to be cut short
 * (when `PUBLIC_BASE_URL` is set). A plain, readable page: the id is unguessable and expires, the text is escaped.
 */
import type { FastifyInstance } from 'fastify';
import type { AnswerArchive } from '../../delivery/answer-archive.js';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] ?? character);

export async function answerArchiveRoutes(app: FastifyInstance, options: { archive: AnswerArchive }): Promise<void> {
  app.get<{ Params: { id: string } }>('/a/:id', async (request, reply) => {
    const text = await options.archive.get(request.params.id);
    reply.header('cache-control', 'private, no-store').header('x-robots-tag', 'noindex');
    if (text === undefined) return reply.code(404).type('text/html; charset=utf-8').send(page('回答不存在或已过期', '<p>这条回答不存在，或已过期。</p>'));
    return reply.type('text/html; charset=utf-8').send(page('完整回答', `<pre>${escapeHtml(text)}</pre>`));
  });
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${title}</title><style>body{font:16px/1.7 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:720px;padding:16px;color:#222}` +
    `pre{white-space:pre-wrap;word-wrap:break-word;font:inherit}</style></head><body>${body}</body></html>`;
}
