/**
 * The dashboard page's files, read once when the routes are registered: the page, its script and style from
 * `public/dashboard/` (plain files, served as they are: no build step), and the uPlot chart library from its npm
 * package — the page loads nothing from anywhere else.
 */
import { createRequire } from 'node:module';
import { loadStaticPage, readAsset, type StaticPage } from '../static-page/static-page.js';

export function loadDashboardAssets(): StaticPage {
  const assets = loadStaticPage('dashboard', 'dashboard.html', ['dashboard.js', 'dashboard.css']);
  const require = createRequire(import.meta.url);
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) assets.files.set(name, readAsset(require.resolve(`uplot/dist/${name}`), name));
  return assets;
}
