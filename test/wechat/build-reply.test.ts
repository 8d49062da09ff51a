import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { MAX_NEWS_ARTICLES, SUCCESS_BODY, buildReplyXml } from '../../src/wechat/reply/build-reply.js';
import { cdata } from '../../src/wechat/reply/cdata.js';
import type { NewsArticle, Reply } from '../../src/wechat/reply/types.js';
import { parseXml } from '../../src/wechat/xml/parse-xml.js';

const address = { toUserName: 'oabcdefghijklmnopqrstuvwxyz1', fromUserName: 'gh_3f6a2b9c1d7e', createTime: 1732400001 };
const addressFields = { ToUserName: address.toUserName, FromUserName: address.fromUserName, CreateTime: '1732400001' };

function fieldsOf(reply: Reply): unknown {
  return JSON.parse(JSON.stringify(parseXml(buildReplyXml(reply, address)).fields)) as unknown;
}

describe('buildReplyXml', () => {
  it('text, in the documented shape', () => {
    assert.equal(
      buildReplyXml({ type: 'text', content: '你好' }, address),
      '<xml><ToUserName><![CDATA[oabcdefghijklmnopqrstuvwxyz1]]></ToUserName>' +
        '<FromUserName><![CDATA[gh_3f6a2b9c1d7e]]></FromUserName><CreateTime>1732400001</CreateTime>' +
        '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>',
    );
  });

  it('image and voice', () => {
    assert.deepEqual(fieldsOf({ type: 'image', mediaId: 'm1' }), { ...addressFields, MsgType: 'image', Image: { MediaId: 'm1' } });
    assert.deepEqual(fieldsOf({ type: 'voice', mediaId: 'm2' }), { ...addressFields, MsgType: 'voice', Voice: { MediaId: 'm2' } });
  });

  it('video, with and without the optional title and description', () => {
    assert.deepEqual(fieldsOf({ type: 'video', mediaId: 'm3', title: 't', description: 'd' }), {
      ...addressFields,
      MsgType: 'video',
      Video: { MediaId: 'm3', Title: 't', Description: 'd' },
    });
    assert.deepEqual(fieldsOf({ type: 'video', mediaId: 'm3' }), {
      ...addressFields,
      MsgType: 'video',
      Video: { MediaId: 'm3', Title: '', Description: '' },
    });
  });

  it('music', () => {
    assert.deepEqual(
      fieldsOf({ type: 'music', title: 't', description: 'd', musicUrl: 'http://a/m.mp3', hqMusicUrl: 'http://a/hq.mp3', thumbMediaId: 'th' }),
      {
        ...addressFields,
        MsgType: 'music',
        Music: { Title: 't', Description: 'd', MusicUrl: 'http://a/m.mp3', HQMusicUrl: 'http://a/hq.mp3', ThumbMediaId: 'th' },
      },
    );
  });

  it('news with one article and with several', () => {
    const article: NewsArticle = { title: '标题', description: '描述', picUrl: 'http://a/p.jpg', url: 'http://a/?x=1&y=2' };
    const item = { Title: '标题', Description: '描述', PicUrl: 'http://a/p.jpg', Url: 'http://a/?x=1&y=2' };
    assert.deepEqual(fieldsOf({ type: 'news', articles: [article] }), {
      ...addressFields,
      MsgType: 'news',
      ArticleCount: '1',
      Articles: { item },
    });
    const three = fieldsOf({ type: 'news', articles: [article, { title: 'b' }, article] });
    assert.deepEqual(three, {
      ...addressFields,
      MsgType: 'news',
      ArticleCount: '3',
      Articles: { item: [item, { Title: 'b', Description: '', PicUrl: '', Url: '' }, item] },
    });
  });

  it('transfer_customer_service: bare, or to one staff account (CDATA-safe)', () => {
    assert.equal(
      buildReplyXml({ type: 'transfer_customer_service' }, address),
      '<xml><ToUserName><![CDATA[oabcdefghijklmnopqrstuvwxyz1]]></ToUserName>' +
        '<FromUserName><![CDATA[gh_3f6a2b9c1d7e]]></FromUserName><CreateTime>1732400001</CreateTime>' +
        '<MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>',
    );
    assert.deepEqual(fieldsOf({ type: 'transfer_customer_service', kfAccount: 'kf]]>01@test' }), {
      ...addressFields,
      MsgType: 'transfer_customer_service',
      TransInfo: { KfAccount: 'kf]]>01@test' },
    });
  });

  it('refuses news with no articles or more than the maximum', () => {
    assert.throws(() => buildReplyXml({ type: 'news', articles: [] }, address), RangeError);
    const tooMany = Array.from({ length: MAX_NEWS_ARTICLES + 1 }, () => ({ title: 't' }));
    assert.throws(() => buildReplyXml({ type: 'news', articles: tooMany }, address), RangeError);
    assert.doesNotThrow(() => buildReplyXml({ type: 'news', articles: tooMany.slice(1) }, address));
  });

  it('writes CreateTime as whole seconds', () => {
    const xml = buildReplyXml({ type: 'text', content: 'x' }, { ...address, createTime: 1732400001.9 });
    assert.match(xml, /<CreateTime>1732400001<\/CreateTime>/);
    const fallback = buildReplyXml({ type: 'text', content: 'x' }, { ...address, createTime: Number.NaN });
    assert.match(fallback, /<CreateTime>\d{10}<\/CreateTime>/);
  });

  it('round-trips content containing `]]>` through parseXml and fast-xml-parser', () => {
    const reference = new XMLParser({ parseTagValue: false, trimValues: false, ignoreAttributes: true });
    const contents = [
      ']]>',
      'a]]>b',
      ']]]]>',
      ']]>]]>',
      'x]]',
      ']',
      '<![CDATA[inner]]>',
      'ends with ]]',
      '  leading and trailing spaces  ',
      'line\nbreaks\r\nand\ttabs',
      '<xml>&amp;</xml> & < >',
      '😀 表情 ‮rtl',
      '',
    ];
    for (const content of contents) {
      const xml = buildReplyXml({ type: 'text', content }, address);
      assert.equal(parseXml(xml).fields.Content, content, JSON.stringify(content));
      const parsed = reference.parse(xml) as { xml: { Content: string } };
      // A conforming parser (fast-xml-parser, the WeChat client) normalises CR LF to LF; parseXml keeps CDATA exact.
      assert.equal(parsed.xml.Content, content.replace(/\r\n?/g, '\n'), `fast-xml-parser: ${JSON.stringify(content)}`);
    }
  });

  it('escapes the addresses too', () => {
    const xml = buildReplyXml({ type: 'text', content: 'x' }, { ...address, toUserName: 'o]]><evil/>' });
    assert.equal(parseXml(xml).fields.ToUserName, 'o]]><evil/>');
  });

  it('SUCCESS_BODY is the literal WeChat expects', () => {
    assert.equal(SUCCESS_BODY, 'success');
  });
});

describe('cdata', () => {
  it('wraps and splits `]]>`', () => {
    assert.equal(cdata('plain'), '<![CDATA[plain]]>');
    assert.equal(cdata('a]]>b'), '<![CDATA[a]]]]><![CDATA[>b]]>');
    assert.equal(cdata(''), '<![CDATA[]]>');
  });

  it('removes characters XML 1.0 cannot carry and keeps the rest', () => {
    assert.equal(cdata('a\u0000b\u0008c\u000Bd\u000Ce\u001Ff'), '<![CDATA[abcdef]]>');
    assert.equal(cdata('\t\n\r'), '<![CDATA[\t\n\r]]>');
    assert.equal(cdata('x\uFFFEy\uFFFFz'), '<![CDATA[xyz]]>');
    assert.equal(cdata('lone \uD800 high, lone \uDC00 low, reversed \uDC00\uD800'), '<![CDATA[lone  high, lone  low, reversed ]]>');
    assert.equal(cdata('pair 😀 \uD83D\uDE00 \u{10FFFF}'), '<![CDATA[pair 😀 😀 \u{10FFFF}]]>');
    assert.equal(cdata('\u007F\u0085\uFFFD'), '<![CDATA[\u007F\u0085\uFFFD]]>');
  });

  it('agrees with a plain regex reference on random strings (the fast path must not skip anything)', () => {
    // eslint-disable-next-line no-control-regex -- the reference removes exactly these
    const reference = (value: string): string => value.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/gu, '');
    const alphabet = ['a', ']', '>', '\t', '\u0000', '\u001F', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '😀', '\uFFFD', '\uFFFE', '\uFFFF', '中'];
    let state = 12345;
    for (let iteration = 0; iteration < 5000; iteration += 1) {
      let value = '';
      for (let index = 0; index < 8; index += 1) {
        state = (state * 1103515245 + 12345) % 2147483648;
        value += alphabet[state % alphabet.length];
      }
      const expected = reference(value);
      assert.equal(cdata(value), `<![CDATA[${expected.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`, JSON.stringify(value));
      assert.equal(parseXml(`<xml><A>${cdata(value)}</A></xml>`).fields.A ?? '', expected, JSON.stringify(value));
    }
  });

  it('removes before splitting, so a removed character cannot join a new `]]>`', () => {
    const wrapped = cdata(']]\u0000>');
    assert.equal(wrapped, '<![CDATA[]]]]><![CDATA[>]]>');
    assert.equal(parseXml(`<xml><A>${wrapped}</A></xml>`).fields.A, ']]>');
  });
});
