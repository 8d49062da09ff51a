/**
 * SPEC §4 route 3 with media: an answer that is (or includes) an image or voice and finishes only after WeChat's
 * last delivery got the pickup placeholder. Its media are uploaded to WeChat when the answer is done, and the
 * pickups return them as passive image/voice replies whose MediaId the fake WeChat API holds — after the text
 * pages when there is text (the last page says what follows), first when there is none. Without the WeChat API
 * (no WECHAT_APPSECRET) nothing can be uploaded: the pickup says so, with the image's link. An answer with text
 * and an image that is ready on a retry: the retry's reply is the text, and the image is left for pickup.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startFakeDefaultService, type FakeDefaultService } from '../ai/fakes/fake-default-service.js';
import { eventually, modelOf, startDeliveryStack, type DeliveryStack, type DeliveryStackOptions } from '../support/delivery-stack.js';
import { parseExposition, valueOf } from '../support/prometheus-text.js';
import type { AppInstance } from '../support/app-instances.js';
import type { Exchange, WeChatClient } from '../support/wechat-client.js';
import { replyText } from '../support/wechat-client.js';

const KEYWORD = '继续';
const PLACEHOLDER = /回复「继续」/;
/** Longer than WeChat's three deliveries (the placeholder goes out about 14.5 s after the message). */
const SLOWER_THAN_DELIVERIES_MS = 16_000;
const IMAGE_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(256)]);
const VOICE_BYTES = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00]), randomBytes(256)]);
const SCRIPTED_AGENT = fileURLToPath(new URL('./fixtures/scripted-media-agent.mjs', import.meta.url));

const stacks: DeliveryStack[] = [];
const services: FakeDefaultService[] = [];

async function stackWith(options: DeliveryStackOptions): Promise<DeliveryStack> {
  const stack = await startDeliveryStack(options);
  stacks.push(stack);
  return stack;
}

/** Media the fake WeChat API serves without a token at `/fake-media`: a stand-in for any media URL an agent answers with. */
function mediaUrl(stack: DeliveryStack, kind: 'image' | 'voice'): string {
  const mediaId = `answer${kind}0001`;
  const [data, fileName, contentType] = kind === 'image' ? [IMAGE_BYTES, 'answer.png', 'image/png'] : [VOICE_BYTES, 'answer.mp3', 'audio/mpeg'];
  stack.wechat.state.media.set(mediaId, { mediaId, type: kind, permanent: false, fileName, contentType, data, createdAt: 0 });
  return `${stack.wechat.url}/fake-media?media_id=${mediaId}`;
}

/** The bytes WeChat holds for an uploaded media id. */
function uploaded(stack: DeliveryStack, mediaId: string | undefined): Buffer | undefined {
  return mediaId === undefined ? undefined : stack.wechat.state.media.get(mediaId)?.data;
}

/** The passive media reply of an exchange, or a failure showing what came instead. */
function mediaReply(exchange: Exchange, type: 'image' | 'voice'): string {
  const { reply } = exchange;
  assert.ok(typeof reply === 'object' && reply.type === type && reply.mediaId !== undefined, `a passive ${type} reply: ${JSON.stringify(reply)}`);
  return reply.mediaId;
}

/** Sends the question and checks that WeChat's third delivery got the placeholder. */
async function placeholderFor(client: WeChatClient, openId: string, send: (client: WeChatClient) => Promise<Exchange>): Promise<void> {
  const exchange = await send(client);
  assert.deepEqual(exchange.deliveries.map((each) => each.status), ['timeout', 'timeout', 200], `${openId}: held to the last delivery`);
  assert.match(replyText(exchange) ?? '', PLACEHOLDER);
}

async function pickupsServed(instance: AppInstance): Promise<number> {
  const answer = await instance.request('GET', '/metrics', { headers: { authorization: `Bearer ${instance.server.config.adminToken}` } });
  assert.equal(answer.status, 200, answer.text);
  return valueOf(parseExposition(answer.text), 'wx_deliveries_total', { route: 'pickup_served' });
}

describe('media of an answer that finishes after the placeholder', { concurrency: true }, () => {
  after(async () => {
    await Promise.all(stacks.map((each) => each.close()));
    await Promise.all(services.map((each) => each.close()));
  });

  it('an image answer, no customer-service permission: the pickup is the image; it is taken once and counted', async () => {
    const service = await startFakeDefaultService();
    services.push(service);
    const stack = await stackWith({ wechat: { customServicePermission: false }, agentEnv: { EXTERNAL_SERVICE_TYPE: 'default', EXTERNAL_SERVICE_URL: service.url } });
    service.replyNext({ messageType: 'image', chunks: [mediaUrl(stack, 'image')], delayMs: SLOWER_THAN_DELIVERIES_MS });
    const user = 'oPickupImage';
    await placeholderFor(stack.client, user, (client) => client.sendText(user, '画一只猫'));
    const servedBefore = await pickupsServed(stack.instance);

    const pickup = await stack.client.sendText(user, KEYWORD);
    assert.deepEqual(pickup.deliveries.map((each) => each.status), [200]);
    assert.deepEqual(uploaded(stack, mediaReply(pickup, 'image')), IMAGE_BYTES, 'the image WeChat holds under the reply\'s MediaId is the answer\'s');
    assert.equal(await pickupsServed(stack.instance), servedBefore + 1, 'the image pickup counts as pickup_served');

    // Nothing is left: the next 继续 is an ordinary message for the service, not the image again.
    service.replyNext({ chunks: ['没有更多内容了。'] });
    const again = await stack.client.sendText(user, KEYWORD);
    assert.equal(replyText(again), '没有更多内容了。');
    assert.equal(await pickupsServed(stack.instance), servedBefore + 1);
  });

  it('a voice answer with REPLY_MODE=passive: the pickup is the voice', async () => {
    const service = await startFakeDefaultService();
    services.push(service);
    const stack = await stackWith({ env: { REPLY_MODE: 'passive' }, agentEnv: { EXTERNAL_SERVICE_TYPE: 'default', EXTERNAL_SERVICE_URL: service.url } });
    service.replyNext({ messageType: 'voice', chunks: [mediaUrl(stack, 'voice')], delayMs: SLOWER_THAN_DELIVERIES_MS });
    const user = 'oPickupVoice';
    await placeholderFor(stack.client, user, (client) => client.sendText(user, '读一首诗'));
    const pickup = await stack.client.sendText(user, KEYWORD);
    assert.deepEqual(uploaded(stack, mediaReply(pickup, 'voice')), VOICE_BYTES);
    assert.deepEqual(stack.customerServiceMessages(user), [], 'passive mode sends no customer-service message');
  });

  it('text and an image: the text first, its page saying an image follows, then the image', async () => {
    const stack = await stackWith({ wechat: { customServicePermission: false }, agentEnv: { EXTERNAL_SERVICE_TYPE: 'custom', CUSTOM_SERVICE_MODULE: SCRIPTED_AGENT } });
    const user = 'oPickupTextImage';
    const script = JSON.stringify({ delayMs: SLOWER_THAN_DELIVERIES_MS, text: '这是你要的猫。', image: mediaUrl(stack, 'image') });
    await placeholderFor(stack.client, user, (client) => client.sendText(user, script));

    const text = replyText(await stack.client.sendText(user, KEYWORD));
    assert.equal(text, '这是你要的猫。\n\n（回复「继续」查看图片）');
    const image = await stack.client.sendText(user, KEYWORD);
    assert.deepEqual(uploaded(stack, mediaReply(image, 'image')), IMAGE_BYTES);
  });

  it('text and an image ready on WeChat\'s retry: the text passively, saying an image follows; the image on 继续', async () => {
    const stack = await stackWith({ wechat: { customServicePermission: false }, agentEnv: { EXTERNAL_SERVICE_TYPE: 'custom', CUSTOM_SERVICE_MODULE: SCRIPTED_AGENT } });
    const user = 'oRetryTextImage';
    const script = JSON.stringify({ delayMs: 6_000, text: '这是你要的猫。', image: mediaUrl(stack, 'image') });
    const exchange = await stack.client.sendText(user, script);
    assert.deepEqual(exchange.deliveries.map((each) => each.status), ['timeout', 200]);
    assert.equal(replyText(exchange), '这是你要的猫。\n\n（回复「继续」查看图片）');
    const image = await stack.client.sendText(user, KEYWORD);
    assert.deepEqual(uploaded(stack, mediaReply(image, 'image')), IMAGE_BYTES);
  });

  it('text and a spoken answer (VOICE_REPLY), two instances sharing Redis: picked up through the other instance', async () => {
    const stack = await stackWith({ instances: 2, wechat: { customServicePermission: false }, env: { VOICE_REPLY: 'true' } });
    const model = modelOf(stack);
    model.replyNext({ chunks: ['明天晴，', '最高二十度。'], delayMs: SLOWER_THAN_DELIVERIES_MS });
    const user = 'oPickupSpoken';
    await placeholderFor(stack.client, user, (client) => client.sendVoice(user, 'VOICE_QUESTION_1', '明天天气怎么样'));

    const other = stack.clientFor(1);
    assert.equal(replyText(await other.sendText(user, KEYWORD)), '明天晴，最高二十度。\n\n（回复「继续」查看语音）');
    const voice = await other.sendText(user, KEYWORD);
    assert.deepEqual(uploaded(stack, mediaReply(voice, 'voice')), modelOf(stack).speechAudio, 'the spoken answer, uploaded by the instance that produced it');
    assert.ok(await eventually(() => model.chatRequests().length === 1, 100), 'pickups never reach the model');
  });

  it('without WECHAT_APPSECRET: nothing can be uploaded, and the pickup says so with the image\'s link', async () => {
    const service = await startFakeDefaultService();
    services.push(service);
    const stack = await stackWith({ env: { WECHAT_APPSECRET: '' }, agentEnv: { EXTERNAL_SERVICE_TYPE: 'default', EXTERNAL_SERVICE_URL: service.url } });
    const imageUrl = mediaUrl(stack, 'image');
    service.replyNext({ messageType: 'image', chunks: [imageUrl], delayMs: SLOWER_THAN_DELIVERIES_MS });
    const user = 'oPickupNoApi';
    await placeholderFor(stack.client, user, (client) => client.sendText(user, '画一只猫'));
    const mediaBefore = stack.wechat.state.media.size;

    const pickup = await stack.client.sendText(user, KEYWORD);
    assert.equal(replyText(pickup), `（回答中有一张图片，因公众号未接入微信接口未能发送，可打开链接查看：${imageUrl}）`);
    assert.equal(stack.wechat.state.media.size, mediaBefore, 'nothing was uploaded');
  });
});
