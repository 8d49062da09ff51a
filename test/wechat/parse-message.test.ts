import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dedupKey } from '../../src/wechat/message/dedup-key.js';
import { MessageFormatError, parseMessage } from '../../src/wechat/message/parse-message.js';
import type { InboundMessage } from '../../src/wechat/message/types.js';
import { parseXml } from '../../src/wechat/xml/parse-xml.js';
import { samples } from './message-samples.js';

function parse(text: string): InboundMessage {
  return parseMessage(parseXml(text).fields);
}

/** The message without `fields`, which every test would otherwise have to repeat. */
function withoutFields(message: InboundMessage): Record<string, unknown> {
  const { fields: _fields, ...rest } = message;
  return rest;
}

const user = { toUserName: 'gh_3f6a2b9c1d7e', fromUserName: 'oabcdefghijklmnopqrstuvwxyz1', createTime: 1348831860 };
const eventUser = { ...user, createTime: 123456789, msgType: 'event' };

describe('parseMessage: user messages', () => {
  it('text', () => {
    const message = parse(samples.typicalText);
    assert.deepEqual(withoutFields(message), {
      toUserName: 'gh_3f6a2b9c1d7e',
      fromUserName: 'oabcdefghijklmnopqrstuvwxyz1',
      createTime: 1732400000,
      msgType: 'text',
      kind: 'text',
      msgId: '24000000000039595',
      content: '请问营业时间是几点？ #5',
    });
    assert.equal(message.fields.MsgType, 'text');
    assert.deepEqual(withoutFields(parse(samples.text)), {
      ...user,
      msgType: 'text',
      kind: 'text',
      msgId: '1234567890123456',
      content: 'this is a test',
    });
  });

  it('text from a menu message carries bizmsgmenuid', () => {
    const message = parse(samples.textFromMenu);
    assert.equal(message.kind, 'text');
    assert.equal(message.kind === 'text' && message.bizMsgMenuId, '101');
    assert.equal(message.kind === 'text' && message.content, '满意');
  });

  it('image', () => {
    assert.deepEqual(withoutFields(parse(samples.image)), {
      ...user,
      msgType: 'image',
      kind: 'image',
      msgId: '1234567890123456',
      picUrl: 'http://mmbiz.qpic.cn/mmbiz_jpg/abc/0',
      mediaId: 'media_id_image',
    });
  });

  it('voice, without and with Recognition', () => {
    assert.deepEqual(withoutFields(parse(samples.voice)), {
      ...user,
      msgType: 'voice',
      kind: 'voice',
      msgId: '1234567890123456',
      mediaId: 'media_id_voice',
      format: 'amr',
    });
    const recognised = parse(samples.voiceRecognised);
    assert.equal(recognised.kind === 'voice' && recognised.recognition, '腾讯微信团队');
  });

  it('video and shortvideo', () => {
    for (const [text, kind] of [
      [samples.video, 'video'],
      [samples.shortVideo, 'shortvideo'],
    ] as const) {
      const message = parse(text);
      assert.equal(message.kind, kind);
      assert.equal(message.msgType, kind);
      assert.ok(message.kind === 'video' || message.kind === 'shortvideo');
      assert.equal(message.thumbMediaId, 'thumb_media_id');
    }
  });

  it('location', () => {
    assert.deepEqual(withoutFields(parse(samples.location)), {
      ...user,
      msgType: 'location',
      kind: 'location',
      msgId: '1234567890123456',
      latitude: 23.134521,
      longitude: 113.358803,
      scale: 20,
      label: '位置信息',
    });
  });

  it('link', () => {
    assert.deepEqual(withoutFields(parse(samples.link)), {
      ...user,
      msgType: 'link',
      kind: 'link',
      msgId: '1234567890123456',
      title: '公众平台官网链接',
      description: '公众平台官网链接',
      url: 'https://mp.weixin.qq.com/s?a=1&b=2',
    });
  });

  it('keeps a 64-bit MsgId exactly', () => {
    const text = samples.typicalText.replace('24000000000039595', '24000000000039595123');
    const message = parse(text);
    assert.equal(message.kind === 'text' && message.msgId, '24000000000039595123');
    assert.notEqual(String(Number('24000000000039595123')), '24000000000039595123');
  });

  it('an unknown MsgType becomes unknown, keeping MsgId and every field', () => {
    const message = parse(
      '<xml><ToUserName>gh_a</ToUserName><FromUserName>o_b</FromUserName><CreateTime>1</CreateTime>' +
        '<MsgType>miniprogrampage</MsgType><MsgId>77</MsgId><Title>t</Title></xml>',
    );
    assert.equal(message.kind, 'unknown');
    assert.equal(message.msgType, 'miniprogrampage');
    assert.equal(message.kind === 'unknown' && message.msgId, '77');
    assert.equal(message.fields.Title, 't');
    const withoutId = parse('<xml><ToUserName>gh_a</ToUserName><FromUserName>o_b</FromUserName><MsgType>x</MsgType></xml>');
    assert.equal(withoutId.kind, 'unknown');
    assert.equal('msgId' in withoutId, false);
  });

  it('reads missing optional fields as empty strings and bad numbers as 0', () => {
    const message = parse('<xml><ToUserName>gh_a</ToUserName><FromUserName>o_b</FromUserName><MsgType>location</MsgType><Location_X>north</Location_X><Scale>1e999</Scale></xml>');
    assert.deepEqual(withoutFields(message), {
      toUserName: 'gh_a',
      fromUserName: 'o_b',
      createTime: 0,
      msgType: 'location',
      kind: 'location',
      msgId: '',
      latitude: 0,
      longitude: 0,
      scale: 0,
      label: '',
    });
  });
});

describe('parseMessage: events', () => {
  it('subscribe, plain and by QR code', () => {
    assert.deepEqual(withoutFields(parse(samples.subscribe)), { ...eventUser, kind: 'subscribe', event: 'subscribe', eventKey: '' });
    const byQr = parse(samples.subscribeByQr);
    assert.equal(byQr.kind, 'subscribe');
    assert.equal(byQr.kind === 'subscribe' && byQr.scene, '123123');
    assert.equal(byQr.kind === 'subscribe' && byQr.eventKey, 'qrscene_123123');
    assert.match(String(byQr.kind === 'subscribe' && byQr.ticket), /^gQH47joAAAA/);
  });

  it('unsubscribe', () => {
    assert.deepEqual(withoutFields(parse(samples.unsubscribe)), {
      ...eventUser,
      kind: 'unsubscribe',
      event: 'unsubscribe',
      eventKey: '',
    });
  });

  it('SCAN', () => {
    assert.deepEqual(withoutFields(parse(samples.scan)), {
      ...eventUser,
      kind: 'scan',
      event: 'SCAN',
      eventKey: '123123',
      ticket: 'TICKET',
    });
  });

  it('LOCATION', () => {
    assert.deepEqual(withoutFields(parse(samples.locationEvent)), {
      ...eventUser,
      kind: 'location-event',
      event: 'LOCATION',
      eventKey: '',
      latitude: 23.137466,
      longitude: 113.352425,
      precision: 119.38504,
    });
  });

  it('CLICK', () => {
    assert.deepEqual(withoutFields(parse(samples.click)), { ...eventUser, kind: 'click', event: 'CLICK', eventKey: 'EVENTKEY' });
  });

  it('VIEW with MenuId', () => {
    assert.deepEqual(withoutFields(parse(samples.view)), {
      ...eventUser,
      kind: 'view',
      event: 'VIEW',
      eventKey: 'www.qq.com',
      menuId: 'MENUID',
    });
  });

  it('TEMPLATESENDJOBFINISH reads MsgID (capital D) and Status', () => {
    assert.deepEqual(withoutFields(parse(samples.templateSendJobFinish)), {
      ...eventUser,
      kind: 'template-send-job-finish',
      event: 'TEMPLATESENDJOBFINISH',
      eventKey: '',
      msgId: '200163836',
      status: 'success',
    });
  });

  it('an unknown event becomes unknown-event with nested fields kept', () => {
    const message = parse(samples.scanCodePush);
    assert.equal(message.kind, 'unknown-event');
    assert.equal(message.kind === 'unknown-event' && message.event, 'scancode_push');
    assert.deepEqual(JSON.parse(JSON.stringify(message.fields.ScanCodeInfo)), { ScanType: 'qrcode', ScanResult: '1' });
    assert.equal(parse(samples.picSysPhoto).kind, 'unknown-event');
  });

  it('matches event names case-insensitively and keeps them as sent', () => {
    const cases = { Subscribe: 'subscribe', scan: 'scan', Location: 'location-event', click: 'click', view: 'view' } as const;
    for (const [event, kind] of Object.entries(cases)) {
      const message = parse(samples.click.replace('<![CDATA[CLICK]]>', `<![CDATA[${event}]]>`));
      assert.equal(message.kind, kind, event);
      assert.equal('event' in message && message.event, event);
    }
  });

  it('an event without Event is an unknown event', () => {
    const message = parse('<xml><ToUserName>gh_a</ToUserName><FromUserName>o_b</FromUserName><MsgType>event</MsgType></xml>');
    assert.equal(message.kind, 'unknown-event');
  });
});

describe('parseMessage: required fields', () => {
  const valid = { ToUserName: 'gh_a', FromUserName: 'o_b', MsgType: 'text' };
  for (const field of ['ToUserName', 'FromUserName', 'MsgType'] as const) {
    it(`throws MessageFormatError when ${field} is missing, empty or not text`, () => {
      const { [field]: _removed, ...missing } = valid;
      for (const fields of [missing, { ...valid, [field]: '' }, { ...valid, [field]: { nested: 'x' } }, { ...valid, [field]: ['a', 'b'] }]) {
        assert.throws(
          () => parseMessage(fields),
          (error: unknown) => error instanceof MessageFormatError && error.field === field,
        );
      }
    });
  }

  it('throws MessageFormatError for an encrypted envelope (no FromUserName, no MsgType)', () => {
    assert.throws(() => parse(samples.encryptedEnvelope), MessageFormatError);
  });
});

describe('dedupKey', () => {
  it('uses appid|MsgId for user messages', () => {
    assert.equal(dedupKey('wx123', parse(samples.typicalText)), 'wx123|24000000000039595');
    assert.equal(dedupKey('wx123', parse(samples.image)), 'wx123|1234567890123456');
  });

  it('uses appid|FromUserName|CreateTime|Event|EventKey for events', () => {
    assert.equal(dedupKey('wx123', parse(samples.click)), 'wx123|oabcdefghijklmnopqrstuvwxyz1|123456789|CLICK|EVENTKEY');
    assert.equal(dedupKey('wx123', parse(samples.subscribe)), 'wx123|oabcdefghijklmnopqrstuvwxyz1|123456789|subscribe|');
  });

  it('adds MsgID for TEMPLATESENDJOBFINISH, so two jobs finishing in one second stay distinct', () => {
    const first = parse(samples.templateSendJobFinish);
    const second = parse(samples.templateSendJobFinish.replace('200163836', '200163837'));
    assert.equal(dedupKey('wx123', first), 'wx123|oabcdefghijklmnopqrstuvwxyz1|123456789|TEMPLATESENDJOBFINISH||200163836');
    assert.notEqual(dedupKey('wx123', first), dedupKey('wx123', second));
  });

  it('uses appid|FromUserName|CreateTime|MsgType for anything else, with CreateTime as sent', () => {
    const message = parse('<xml><ToUserName>gh_a</ToUserName><FromUserName>o_b</FromUserName><CreateTime>17x</CreateTime><MsgType>odd</MsgType></xml>');
    assert.equal(dedupKey('wx123', message), 'wx123|o_b|17x|odd');
  });

  it('is the same for byte-identical retries and different for different messages', () => {
    assert.equal(dedupKey('a', parse(samples.view)), dedupKey('a', parse(samples.view)));
    assert.notEqual(dedupKey('a', parse(samples.view)), dedupKey('b', parse(samples.view)));
    assert.notEqual(dedupKey('a', parse(samples.view)), dedupKey('a', parse(samples.click)));
  });
});
