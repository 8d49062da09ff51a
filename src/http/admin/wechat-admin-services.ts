import type { WeChatServices } from '../../wechat/wechat-services.js';
import type { AdminServices } from './admin-services.js';

/** The admin API's services over the WeChat API client and the access-token manager. */
export function wechatAdminServices({ api, tokens }: WeChatServices): AdminServices {
  return {
    sendCustomMessage: (openId, message, options) => api.customService.send(openId, message, options),
    sendTemplateMessage: (message) => api.template.send(message),
    getMenu: () => api.menu.get(),
    setMenu: (menu) => api.menu.create(menu.button),
    deleteMenu: () => api.menu.delete(),
    tokenStatus: () => tokens.status(),
  };
}
