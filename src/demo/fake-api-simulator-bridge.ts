/**
 * Demo mode's fake WeChat API as the web simulator's WeChat: what the service sends a user through the API
 * (customer-service messages, typing) appears in that user's chat, and the fake's media store keeps the
 * pictures simulated users send (so their `PicUrl` and `MediaId` resolve) and serves the account's media back.
 */
import type { ChatSimulator } from '../simulator/chat-simulator.js';
import type { SimulatorMediaStore } from '../simulator/simulator-media.js';
import type { FakeWeChatApi } from './fake-wechat-api/start-fake-wechat-api.js';

/** Shows the fake's customer-service messages and typing commands in the simulator; returns the disconnect. */
export function connectFakeApiToSimulator(fake: FakeWeChatApi, simulator: ChatSimulator): () => void {
  return fake.onUserEvent((event) => {
    if (event.kind === 'customer-service') simulator.showCustomerServiceMessage(event.openId, event.message.msgtype, event.message.content);
    else simulator.showTyping(event.openId, event.typing.command === 'Typing');
  });
}

export function fakeApiMediaStore(fake: FakeWeChatApi): SimulatorMediaStore {
  return {
    async storeUserImage({ data, contentType }) {
      const media = fake.addMedia({ type: 'image', data, contentType });
      return { mediaId: media.mediaId, picUrl: fake.mediaUrl(media.mediaId) };
    },
    async read(mediaId) {
      const media = fake.state.media.get(mediaId);
      return media === undefined ? undefined : { data: media.data, contentType: media.contentType };
    },
  };
}
