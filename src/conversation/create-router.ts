import type { AppConfig } from '../config/app-config.js';
import { echoHandler } from './handlers/echo-handler.js';
import { welcomeHandler } from './handlers/welcome-handler.js';
import { MenuActionTable } from './menu/menu-action-table.js';
import { menuClickHandler } from './menu/menu-click-handler.js';
import { Router, type Handler } from './router.js';

export interface CreateRouterOptions {
  /** Menu click actions to use — share one table with the admin API so a published menu takes effect; default: `MENU_FILE`'s. */
  menuActions?: MenuActionTable;
}

/**
 * The router the service runs: the welcome message on subscribe, menu clicks (a fixed reply, or a prompt handed
 * on to the AI service as if typed), then the configured AI service.
 * Only the built-in `echo` service exists in this version; the other `EXTERNAL_SERVICE_TYPE`s answer user
 * messages with `EXTERNAL_SERVICE_ERROR_MSG` (and `server.ts` warns at start-up) until their adapters land.
 */
export function createRouter(config: AppConfig, options: CreateRouterOptions = {}): Router {
  const menuActions = options.menuActions ?? new MenuActionTable(config.menu?.actions);
  const router = new Router()
    .event('subscribe', welcomeHandler(config.reply.welcomeMessage))
    .event('CLICK', menuClickHandler(menuActions));
  return router.use(config.agent.type === 'echo' ? echoHandler : unavailableServiceHandler(config.agent.errorMessage));
}

function unavailableServiceHandler(errorMessage: string): Handler {
  return (context, next) => (context.message.msgType === 'event' ? next() : { type: 'text', content: errorMessage });
}
