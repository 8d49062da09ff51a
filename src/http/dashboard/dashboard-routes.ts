/**
 * `GET /dashboard` (the live page), `GET /dashboard/data` (the deployment's figures as JSON, polled by the page)
 * and `GET /dashboard/assets/{file}` (the page's script and style, and uPlot). With `ADMIN_TOKEN` set, all of
 * them need it — as a bearer token, or as the password of HTTP Basic auth so that a browser can prompt for it;
 * without it the dashboard is open, like `/metrics`. Nothing on them is secret (see dashboard/instance-snapshot.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { DashboardData } from '../../dashboard/dashboard-view.js';
import { bearerTokenGuard } from '../admin/bearer-token-guard.js';
import { serveStaticPage } from '../static-page/static-page.js';
import { loadDashboardAssets } from './dashboard-assets.js';

export interface DashboardRouteOptions {
  dashboard: { data(): Promise<DashboardData> };
  /** `ADMIN_TOKEN`. */
  token?: string | undefined;
}

/** Only this origin's files and requests; no inline script or style, no framing. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function dashboardRoutes(app: FastifyInstance, options: DashboardRouteOptions): Promise<void> {
  const assets = loadDashboardAssets();
  // Registered as a plugin, so the guard covers these routes only.
  if (options.token) app.addHook('onRequest', bearerTokenGuard(options.token, { basic: true }));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
  });

  serveStaticPage(app, { path: '/dashboard', page: assets, contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  app.get('/dashboard/data', async (_request, reply) => reply.header('cache-control', 'no-store').send(await options.dashboard.data()));
}
