/**
 * Inbound XML in the shapes WeChat's documentation shows (接收普通消息 / 接收事件推送), with realistic values:
 * indented like the documentation samples, or compact like the live service. Shared by the XML and message
 * tests.
 */

const head = (msgType: string, createTime = '1348831860'): string =>
  '<ToUserName><![CDATA[gh_3f6a2b9c1d7e]]></ToUserName>\n' +
  '  <FromUserName><![CDATA[oabcdefghijklmnopqrstuvwxyz1]]></FromUserName>\n' +
  `  <CreateTime>${createTime}</CreateTime>\n` +
  `  <MsgType><![CDATA[${msgType}]]></MsgType>\n`;

const event = (name: string, rest = ''): string => `<xml>\n  ${head('event', '123456789')}  <Event><![CDATA[${name}]]></Event>\n${rest}</xml>`;

export const samples = {
  typicalText:
    '<xml><ToUserName><![CDATA[gh_3f6a2b9c1d7e]]></ToUserName><FromUserName><![CDATA[oabcdefghijklmnopqrstuvwxyz1]]></FromUserName><CreateTime>1732400000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[请问营业时间是几点？ #5]]></Content><MsgId>24000000000039595</MsgId></xml>',
  encryptedEnvelope:
    '<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[' +
    'q0xvBbn/zHUNqT1LKnqK3eJ1z+bS2cI7fNy0kVfW2Vt9Y6cC1/6uT4b+1hR8aJm0nZq3oP5sLk7dXw2eYr4uT8iO9pA1sD3fG5hJ7kL9zX2cV4bN6m=' +
    ']]></Encrypt></xml>',
  text: `<xml>\n  ${head('text')}  <Content><![CDATA[this is a test]]></Content>\n  <MsgId>1234567890123456</MsgId>\n  <MsgDataId>xxxx</MsgDataId>\n  <Idx>xxxx</Idx>\n</xml>`,
  textFromMenu: `<xml>${head('text')}<Content><![CDATA[满意]]></Content><MsgId>1234567890123457</MsgId><bizmsgmenuid>101</bizmsgmenuid></xml>`,
  image: `<xml>\n  ${head('image')}  <PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz_jpg/abc/0]]></PicUrl>\n  <MediaId><![CDATA[media_id_image]]></MediaId>\n  <MsgId>1234567890123456</MsgId>\n</xml>`,
  voice: `<xml>\n  ${head('voice')}  <MediaId><![CDATA[media_id_voice]]></MediaId>\n  <Format><![CDATA[amr]]></Format>\n  <MsgId>1234567890123456</MsgId>\n  <MediaId16K><![CDATA[media_id_16k]]></MediaId16K>\n</xml>`,
  voiceRecognised: `<xml>${head('voice')}<MediaId><![CDATA[media_id_voice]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123456</MsgId></xml>`,
  video: `<xml>\n  ${head('video')}  <MediaId><![CDATA[media_id_video]]></MediaId>\n  <ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>\n  <MsgId>1234567890123456</MsgId>\n</xml>`,
  shortVideo: `<xml>\n  ${head('shortvideo')}  <MediaId><![CDATA[media_id_short]]></MediaId>\n  <ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>\n  <MsgId>1234567890123456</MsgId>\n</xml>`,
  location: `<xml>\n  ${head('location')}  <Location_X>23.134521</Location_X>\n  <Location_Y>113.358803</Location_Y>\n  <Scale>20</Scale>\n  <Label><![CDATA[位置信息]]></Label>\n  <MsgId>1234567890123456</MsgId>\n</xml>`,
  link: `<xml>\n  ${head('link')}  <Title><![CDATA[公众平台官网链接]]></Title>\n  <Description><![CDATA[公众平台官网链接]]></Description>\n  <Url><![CDATA[https://mp.weixin.qq.com/s?a=1&b=2]]></Url>\n  <MsgId>1234567890123456</MsgId>\n</xml>`,
  subscribe: event('subscribe'),
  subscribeByQr: event(
    'subscribe',
    '  <EventKey><![CDATA[qrscene_123123]]></EventKey>\n  <Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==]]></Ticket>\n',
  ),
  unsubscribe: event('unsubscribe'),
  scan: event('SCAN', '  <EventKey><![CDATA[123123]]></EventKey>\n  <Ticket><![CDATA[TICKET]]></Ticket>\n'),
  locationEvent: event(
    'LOCATION',
    '  <Latitude>23.137466</Latitude>\n  <Longitude>113.352425</Longitude>\n  <Precision>119.385040</Precision>\n',
  ),
  click: event('CLICK', '  <EventKey><![CDATA[EVENTKEY]]></EventKey>\n'),
  view: event('VIEW', '  <EventKey><![CDATA[www.qq.com]]></EventKey>\n  <MenuId>MENUID</MenuId>\n'),
  templateSendJobFinish: event(
    'TEMPLATESENDJOBFINISH',
    '  <MsgID>200163836</MsgID>\n  <Status><![CDATA[success]]></Status>\n',
  ),
  scanCodePush:
    '<xml><ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>\n<FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>\n<CreateTime>1408090502</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[scancode_push]]></Event>\n<EventKey><![CDATA[6]]></EventKey>\n<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>\n<ScanResult><![CDATA[1]]></ScanResult>\n</ScanCodeInfo>\n</xml>',
  picSysPhoto:
    '<xml><ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>\n<FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>\n<CreateTime>1408090651</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[pic_sysphoto]]></Event>\n<EventKey><![CDATA[6]]></EventKey>\n<SendPicsInfo><Count>2</Count>\n<PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum>\n</item>\n<item><PicMd5Sum><![CDATA[2c6f8d34c6cf86793b64f8c7e274f296]]></PicMd5Sum>\n</item>\n</PicList>\n</SendPicsInfo>\n</xml>',
} as const;

export type SampleName = keyof typeof samples;
