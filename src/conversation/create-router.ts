import type { AppConfig } from '../config/app-config.js';
import { echoHandler } from './handlers/echo-handler.js';
import { welcomeHandler } from './handlers/welcome-handler.js';
import { Router, type Handler } from './router.js';

/**
 * The router the service runs: the welcome message on subscribe, then the configured AI service.
 * Only the built-in `echo` service exists in this version; the other `EXTERNAL_SERVICE_TYPE`s answer user
 * messages with `EXTERNAL_SERVICE_ERROR_MSG` (and `server.ts` warns at start-up) until their adapters land.
 */
export function createRouter(config: AppConfig): Router {
  const router = new Router().event('subscribe', welcomeHandler(config.reply.welcomeMessage));
  return router.use(config.agent.type === 'echo' ? echoHandler : unavailableServiceHandler(config.agent.errorMessage));
}

function unavailableServiceHandler(errorMessage: string): Handler {
  return (context, next) => (context.message.msgType === 'event' ? next() : { type: 'text', content: errorMessage });
}
