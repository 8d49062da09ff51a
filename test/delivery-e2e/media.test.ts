/**
 * SPEC §5 multimodal, end to end: an image message reaches a vision model as an image part, a voice message with
 * WeChat's `Recognition` as its text; an answer that is an image (the `default` service answering
 * `message_type: image` with a URL) is uploaded to WeChat and arrives as an image — passively when it is ready in
 * time, by customer-service message when it is not, and on WeChat's retry when the account has no permission.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { startFakeDefaultService, type FakeDefaultService } from '../ai/fakes/fake-default-service.js';
import { eventually, modelOf, startDeliveryStack, type DeliveryStack } from '../support/delivery-stack.js';
import { replyText } from '../support/wechat-client.js';

/** A PNG signature and some bytes: what the answer's image URL serves. */
const IMAGE_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(256)]);

const stacks: DeliveryStack[] = [];
const services: FakeDefaultService[] = [];

/** A stack whose AI service is the fake `default` service, plus the URL of an image it can answer with. */
async function defaultServiceStack(options: Parameters<typeof startDeliveryStack>[0] = {}): Promise<{ stack: DeliveryStack; service: FakeDefaultService; imageUrl: string }> {
  const service = await startFakeDefaultService();
  services.push(service);
  const stack = await startDeliveryStack({ ...options, agentEnv: { EXTERNAL_SERVICE_TYPE: 'default', EXTERNAL_SERVICE_URL: service.url } });
  stacks.push(stack);
  // The fake WeChat API serves stored media at /fake-media without a token: a stand-in for any image URL.
  const mediaId = 'answerimage0001';
  stack.wechat.state.media.set(mediaId, { mediaId, type: 'image', permanent: false, fileName: 'answer.png', contentType: 'image/png', data: IMAGE_BYTES, createdAt: 0 });
  return { stack, service, imageUrl: `${stack.wechat.url}/fake-media?media_id=${mediaId}` };
}

/** The bytes WeChat holds for an uploaded media id. */
function uploaded(stack: DeliveryStack, mediaId: string | undefined): Buffer | undefined {
  return mediaId === undefined ? undefined : stack.wechat.state.media.get(mediaId)?.data;
}

describe('images and voice', { concurrency: true }, () => {
  after(async () => {
    await Promise.all(stacks.map((each) => each.close()));
    await Promise.all(services.map((each) => each.close()));
  });

  it('an image message reaches the model as an image_url part; a voice message as its recognised text', async () => {
    const stack = await startDeliveryStack();
    stacks.push(stack);
    const model = modelOf(stack);
    model.replyNext({ chunks: ['这是一只猫。'] }, { chunks: ['明天晴。'] });
    const picUrl = 'http://mmbiz.qpic.cn/mmbiz_jpg/cat/0';
    assert.equal(replyText(await stack.client.sendImage('oMediaUser', picUrl, 'MEDIA_IMAGE_1')), '这是一只猫。');
    const imageContent = model.chatRequests()[0]!.messages.at(-1)!.content as Array<{ type: string; image_url?: { url: string } }>;
    assert.ok(Array.isArray(imageContent));
    assert.deepEqual(imageContent.filter((part) => part.type === 'image_url').map((part) => part.image_url?.url), [picUrl]);

    assert.equal(replyText(await stack.client.sendVoice('oMediaUser', 'MEDIA_VOICE_1', '明天天气怎么样')), '明天晴。');
    assert.equal(model.chatRequests()[1]!.messages.at(-1)!.content, '明天天气怎么样');
    assert.equal(model.transcriptions.length, 0, 'recognised voice needs no transcription');
  });

  it('an image answer ready in time: uploaded and sent as a passive image reply', async () => {
    const { stack, service, imageUrl } = await defaultServiceStack();
    service.replyNext({ messageType: 'image', chunks: [imageUrl] });
    const exchange = await stack.client.sendText('oImageFast', '画一只猫');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), [200]);
    assert.ok(typeof exchange.reply === 'object' && exchange.reply.type === 'image', `a passive image reply: ${JSON.stringify(exchange.reply)}`);
    assert.deepEqual(uploaded(stack, exchange.reply.mediaId), IMAGE_BYTES);
  });

  it('an image answer after the window, with permission: an image customer-service message', async () => {
    const { stack, service, imageUrl } = await defaultServiceStack();
    service.replyNext({ messageType: 'image', chunks: [imageUrl], delayMs: 6000 });
    const exchange = await stack.client.sendText('oImageSlow', '画一只猫');
    assert.equal(exchange.reply, 'success');
    assert.ok(await eventually(() => stack.customerServiceMessages('oImageSlow').length > 0, 6000));
    const [message, ...more] = stack.customerServiceMessages('oImageSlow');
    assert.equal(message!.msgtype, 'image');
    assert.deepEqual(uploaded(stack, (message!.content as { media_id: string }).media_id), IMAGE_BYTES);
    assert.deepEqual(more, []);
  });

  it('an image answer after the window, without permission: the image on WeChat\'s retry', async () => {
    const { stack, service, imageUrl } = await defaultServiceStack({ wechat: { customServicePermission: false } });
    service.replyNext({ messageType: 'image', chunks: [imageUrl], delayMs: 6000 });
    const exchange = await stack.client.sendText('oImageHeld', '画一只猫');
    assert.deepEqual(exchange.deliveries.map((each) => each.status), ['timeout', 200]);
    assert.ok(typeof exchange.reply === 'object' && exchange.reply.type === 'image', `a passive image reply: ${JSON.stringify(exchange.reply)}`);
    assert.deepEqual(uploaded(stack, exchange.reply.mediaId), IMAGE_BYTES);
  });
});
