/**
 * The dashboard page's files, read once when the routes are registered: the page, its script and style from
 * `public/dashboard/` (plain files, served as they are: no build step), and the uPlot chart library from its npm
 * package — the page loads nothing from anywhere else.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Asset {
  body: Buffer;
  contentType: string;
}

/** `public/dashboard/`: three folders up from this module, in `src/http/dashboard/` and `dist/http/dashboard/` alike. */
const PAGE_FOLDER = new URL('../../../public/dashboard/', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

function contentType(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
}

export interface DashboardAssets {
  page: Asset;
  /** Served at `/dashboard/assets/{name}`. */
  files: ReadonlyMap<string, Asset>;
}

export function loadDashboardAssets(): DashboardAssets {
  const require = createRequire(import.meta.url);
  const read = (url: URL | string, name: string): Asset => ({ body: readFileSync(url), contentType: contentType(name) });
  const files = new Map<string, Asset>();
  for (const name of ['dashboard.js', 'dashboard.css']) files.set(name, read(new URL(name, PAGE_FOLDER), name));
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) files.set(name, read(require.resolve(`uplot/dist/${name}`), name));
  return { page: read(new URL('dashboard.html', PAGE_FOLDER), 'dashboard.html'), files };
}
