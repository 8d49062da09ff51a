import type { AppConfig } from '../config/app-config.js';
import { echoHandler } from './handlers/echo-handler.js';
import { welcomeHandler } from './handlers/welcome-handler.js';
import { MenuActionTable } from './menu/menu-action-table.js';
import { menuClickHandler } from './menu/menu-click-handler.js';
import { Router, type Handler } from './router.js';

export interface CreateRouterOptions {
  /** Menu click actions to use — share one table with the admin API so a published menu takes effect; default: `MENU_FILE`'s. */
  menuActions?: MenuActionTable;
  /** Handlers before the AI: the reset command and the pickup keyword (see create-answering.ts). */
  preHandlers?: Handler[];
  /** The AI service's handler; without it (`EXTERNAL_SERVICE_TYPE=echo`) messages are echoed back. */
  agentHandler?: Handler;
}

/**
 * The router the service runs: the welcome message on subscribe, menu clicks (a fixed reply, or a prompt handed
 * on as if typed), the reset command and the pickup keyword, then the configured AI service — or the built-in echo,
 * which answers synchronously (demo mode and the benchmark).
 */
export function createRouter(config: AppConfig, options: CreateRouterOptions = {}): Router {
  const menuActions = options.menuActions ?? new MenuActionTable(config.menu?.actions);
  const router = new Router()
    .event('subscribe', welcomeHandler(config.reply.welcomeMessage))
    .event('CLICK', menuClickHandler(menuActions));
  for (const handler of options.preHandlers ?? []) router.use(handler);
  return router.use(options.agentHandler ?? echoHandler);
}
