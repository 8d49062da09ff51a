/**
 * Parametric QR codes.
 */
import { randomBytes } from 'node:crypto';
import { asObject, FakeFailure, json, randomId, type FakeRoute } from './fake-route.js';

const MAX_EXPIRE_SECONDS = 2_592_000;
const DEFAULT_EXPIRE_SECONDS = 60;
const MAX_PERMANENT_SCENE_ID = 100_000;
const MAX_TEMPORARY_SCENE_ID = 2 ** 32 - 1;
const MAX_SCENE_STRING_LENGTH = 64;

export const qrcodeRoutes: FakeRoute[] = [
  {
    method: 'POST',
    path: '/cgi-bin/qrcode/create',
    handle({ json: body }, { state }) {
      const actionName = body.action_name;
      if (actionName !== 'QR_SCENE' && actionName !== 'QR_STR_SCENE' && actionName !== 'QR_LIMIT_SCENE' && actionName !== 'QR_LIMIT_STR_SCENE') {
        throw new FakeFailure(40035, 'invalid action name');
      }
      const permanent = actionName.startsWith('QR_LIMIT');
      const scene = asObject(asObject(body.action_info).scene);
      let sceneValue: number | string;
      if (actionName.endsWith('STR_SCENE')) {
        const sceneString = scene.scene_str;
        if (typeof sceneString !== 'string' || sceneString.length === 0 || sceneString.length > MAX_SCENE_STRING_LENGTH) throw new FakeFailure(40053);
        sceneValue = sceneString;
      } else {
        const sceneId = Number(scene.scene_id);
        const maximum = permanent ? MAX_PERMANENT_SCENE_ID : MAX_TEMPORARY_SCENE_ID;
        if (!Number.isInteger(sceneId) || sceneId < 1 || sceneId > maximum) throw new FakeFailure(40053);
        sceneValue = sceneId;
      }
      // WeChat caps an over-long lifetime at 30 days rather than refusing it.
      const expireSeconds = permanent ? undefined : Math.min(Number(body.expire_seconds ?? DEFAULT_EXPIRE_SECONDS) || DEFAULT_EXPIRE_SECONDS, MAX_EXPIRE_SECONDS);
      // Real tickets are standard base64, with '+', '/' and '=' that need URL-encoding.
      const ticket = `gQ${randomBytes(46).toString('base64')}`;
      const url = `http://weixin.qq.com/q/${randomId(18)}`;
      state.qrCodes.set(ticket, { ticket, actionName, scene: sceneValue, url, at: Date.now(), ...(expireSeconds === undefined ? {} : { expireSeconds }) });
      return json({ ticket, ...(expireSeconds === undefined ? {} : { expire_seconds: expireSeconds }), url });
    },
  },
];
