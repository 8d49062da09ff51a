/**
 * A browser page served as plain files from `public/{folder}/` (no build step, no inline script or style, so
 * the page can run under a content security policy without `'unsafe-inline'`). The page and its files are read
 * once, when the routes are registered, and served from memory: `GET {path}` is the page, `GET {path}/assets/{file}`
 * one of its files — only the files named, anything else is a 404, so no request path ever reaches the disk.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

export interface Asset {
  body: Buffer;
  contentType: string;
}

export interface StaticPage {
  page: Asset;
  /** Served at `{path}/assets/{name}`. */
  files: Map<string, Asset>;
}

/** `public/`: three folders up from this module, in `src/http/static-page/` and `dist/http/static-page/` alike. */
const PUBLIC_FOLDER = new URL('../../../public/', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Reads one file; its content type follows from `name`'s extension. */
export function readAsset(file: URL | string, name: string): Asset {
  return { body: readFileSync(file), contentType: CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' };
}

/** Reads `public/{folder}/{pageName}` and the `fileNames` beside it (a missing file fails start-up, not a request). */
export function loadStaticPage(folder: string, pageName: string, fileNames: readonly string[]): StaticPage {
  const folderUrl = new URL(`${folder}/`, PUBLIC_FOLDER);
  const files = new Map(fileNames.map((name) => [name, readAsset(new URL(name, folderUrl), name)]));
  return { page: readAsset(new URL(pageName, folderUrl), pageName), files };
}

export interface StaticPageOptions {
  /** Where the page is served, e.g. `/dashboard`; its files under `{path}/assets/`. */
  path: string;
  page: StaticPage;
  /** The page's policy; its files are only ever loaded by it. */
  contentSecurityPolicy: string;
}

/** Registers `GET {path}` and `GET {path}/assets/:file` on `app` (within the caller's plugin, so its hooks apply). */
export function serveStaticPage(app: FastifyInstance, options: StaticPageOptions): void {
  const { page, files } = options.page;
  app.get(options.path, async (_request, reply) =>
    reply
      .type(page.contentType)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', options.contentSecurityPolicy)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(page.body),
  );

  app.get<{ Params: { file: string } }>(`${options.path}/assets/:file`, async (request, reply) => {
    const asset = files.get(request.params.file);
    if (!asset) return reply.code(404).send({ error: 'not found' });
    return reply
      .type(asset.contentType)
      .header('cache-control', 'private, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  });
}
