/**
 * The web simulator as the configuration asks for it: on in demo mode or with `SIMULATOR_ENABLED=true`, else
 * absent (its routes are not registered: 404). It signs with the configured credentials and delivers in the
 * configured mode: safe when `WECHAT_AES_KEY` is set (compatible too; plaintext only if the callback accepts it).
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { WeChatMenu } from '../conversation/menu/wechat-menu.js';
import { ChatSimulator } from './chat-simulator.js';
import { WECHAT_DELIVERIES, WECHAT_TIMEOUT_MS } from './deliver-like-wechat.js';
import type { SimulatorMediaStore } from './simulator-media.js';
import type { DeliveryMode } from './wechat-emulator.js';

/** What the page shows besides the chat; nothing secret. */
export interface SimulatorInfo {
  /** Demo mode: not connected to WeChat (the page shows a banner). */
  demo: boolean;
  /** `PICKUP_KEYWORD`, named in the page's notes. */
  pickupKeyword: string;
  /** The menu of `MENU_FILE` (WeChat's shape, without this service's actions), shown as the chat's bottom menu. */
  menu?: WeChatMenu;
  /** Whether customer-service messages show up in the simulator (demo mode's fake WeChat API) or go to real WeChat. */
  customerServiceShown: boolean;
  /** WeChat's wait per delivery and number of deliveries, as the simulator plays them. */
  deliveryTimeoutMs: number;
  deliveries: number;
}

export interface Simulator {
  simulator: ChatSimulator;
  info: SimulatorInfo;
  close(): Promise<void>;
}

export interface CreateSimulatorOptions {
  /** Where users' pictures are kept and the account's media read (demo: the fake WeChat API; else WeChat's media API). */
  media?: SimulatorMediaStore;
  /**
   * Connects whoever plays WeChat's API to the simulator, so that customer-service messages and typing show up
   * (demo mode's fake WeChat API); returns the disconnect. Absent: they go to real WeChat.
   */
  connect?: (simulator: ChatSimulator) => () => void;
  /** WeChat's wait per delivery: 5 s. Shorter only in tests (there is no setting for it). */
  timeoutMs?: number;
}

/** The simulator, or undefined when the configuration does not enable it. */
export function createSimulator(config: AppConfig, log: Logger, options: CreateSimulatorOptions = {}): Simulator | undefined {
  if (!config.demo && !config.simulatorEnabled) return undefined;
  const { token, aesKey, appId, allowPlaintext } = config.wechat;
  const modes: DeliveryMode[] = aesKey ? ['safe', 'compat', ...(allowPlaintext ? (['plain'] as const) : [])] : ['plain'];
  const timeoutMs = options.timeoutMs ?? WECHAT_TIMEOUT_MS;
  const simulator = new ChatSimulator({
    credentials: { token, appId, ...(aesKey ? { aesKey } : {}) },
    modes,
    ...(options.media ? { media: options.media } : {}),
    timeoutMs,
    log,
  });
  const disconnect = options.connect?.(simulator);
  if (!config.demo) log.warn('SIMULATOR_ENABLED=true: /simulator lets anyone who reaches this server send messages as any user; keep it off on a public server');
  return {
    simulator,
    info: {
      demo: config.demo,
      pickupKeyword: config.reply.pickupKeyword,
      ...(config.menu ? { menu: config.menu.menu } : {}),
      customerServiceShown: options.connect !== undefined,
      deliveryTimeoutMs: timeoutMs,
      deliveries: WECHAT_DELIVERIES,
    },
    async close() {
      disconnect?.();
      await simulator.close();
    },
  };
}
