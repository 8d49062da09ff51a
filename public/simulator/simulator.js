// The web chat simulator's page (plain browser JavaScript, no framework, no build step). It follows one simulated
// user's chat through `GET /simulator/api/events` (Server-Sent Events) and sends what the user types, picks or
// clicks to `POST /simulator/api/messages`; the server plays WeChat (signing, encryption, deliveries) and keeps the
// secrets. Everything shown comes from events, so a reloaded page, or a second tab, shows the same chat. What the
// page shows besides the chat (demo or not, menu, delivery modes) comes from `GET /simulator/api/info`.
/* global document, window, location, localStorage, crypto, URLSearchParams, EventSource, FileReader */
import { byId, createChatView, element, setStatus, toast } from './chat-view.js';

const API = '/simulator/api';
const OPENID_KEY = 'wx-backend-simulator-openid';
const MODE_LABELS = { safe: '安全模式（AES 加密）', compat: '兼容模式', plain: '明文模式' };
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const input = byId('input');
const sendButton = byId('send');
const imageInput = byId('image-input');
const state = { openid: '', mode: '', lastEventId: 0, source: null, view: null };

// ---- the simulated user ---------------------------------------------------------------------------------------
function randomOpenid() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const bytes = crypto.getRandomValues(new Uint8Array(27));
  let id = 'o';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

const validOpenid = (value) => typeof value === 'string' && /^[\w-]{1,64}$/.test(value);

/** `?openid=` if given, else the one this browser used before, else a new one (kept for next time). */
function initialOpenid() {
  const fromUrl = new URLSearchParams(location.search).get('openid');
  if (validOpenid(fromUrl)) return fromUrl;
  try {
    const stored = localStorage.getItem(OPENID_KEY);
    if (validOpenid(stored)) return stored;
    const fresh = randomOpenid();
    localStorage.setItem(OPENID_KEY, fresh);
    return fresh;
  } catch {
    return randomOpenid();
  }
}

// ---- to and from the server -----------------------------------------------------------------------------------
/** Follows the user's chat from its start: the server sends the history first, then live events. */
function connect() {
  if (!state.view) return; // Settings saved before the info arrived: start() connects.
  if (state.source) state.source.close();
  state.view.clear();
  state.lastEventId = 0;
  const source = new EventSource(`${API}/events?openid=${encodeURIComponent(state.openid)}`);
  source.onopen = () => setStatus('');
  source.onerror = () => setStatus('连接中断，正在重连…');
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.id <= state.lastEventId) return;
    state.lastEventId = event.id;
    state.view.show(event);
  };
  state.source = source;
}

/** Resolves to whether the server took the message; says why not in a toast. */
function post(body) {
  body.openid = state.openid;
  if (state.mode) body.mode = state.mode;
  return fetch(`${API}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    .then((response) => {
      if (response.ok) return true;
      return response.json().then(
        (answer) => { toast(answer.message || `发送失败：HTTP ${response.status}`); return false; },
        () => { toast(`发送失败：HTTP ${response.status}`); return false; },
      );
    }, () => { toast('发送失败：服务器无法连接'); return false; });
}

function sendText(text) {
  if (text.trim() === '') return Promise.resolve(false);
  return post({ type: 'text', content: text });
}

function sendFromInput() {
  const text = input.value;
  if (text.trim() === '') return;
  input.value = '';
  sendButton.disabled = true;
  sendText(text).then((sent) => {
    if (!sent && input.value === '') {
      input.value = text;
      sendButton.disabled = false;
    }
  });
  input.focus();
}

function sendImage(file) {
  if (!IMAGE_TYPES.includes(file.type)) { toast('只能发送 JPEG、PNG、GIF 或 WebP 图片'); return; }
  if (file.size > 10 * 1024 * 1024) { toast('图片不能超过 10 MB'); return; }
  const reader = new FileReader();
  reader.onload = () => {
    const data = String(reader.result);
    post({ type: 'image', contentType: file.type, data: data.slice(data.indexOf(',') + 1) });
  };
  reader.onerror = () => toast('无法读取这个文件');
  reader.readAsDataURL(file);
}

// ---- the account's menu ---------------------------------------------------------------------------------------
function closeSubmenus() {
  for (const menu of document.querySelectorAll('.submenu')) menu.remove();
}

function pressButton(button) {
  closeSubmenus();
  if (button.type === 'click') { post({ type: 'event', event: 'CLICK', eventKey: button.key, label: button.name }); return; }
  if (button.type === 'view') {
    window.open(button.url, '_blank', 'noopener');
    post({ type: 'event', event: 'VIEW', eventKey: button.url, label: button.name });
    return;
  }
  toast(`模拟器不支持「${button.type}」类型的菜单按钮`);
}

function openSubmenu(bar, node, button) {
  const name = button.name.replace(/"/g, '');
  const open = bar.querySelector(`.submenu[data-for="${name}"]`);
  closeSubmenus();
  if (open) return;
  const list = element('div', 'submenu');
  list.setAttribute('data-for', name);
  for (const sub of button.sub_button) {
    const item = element('button', '', sub.name);
    item.type = 'button';
    item.addEventListener('click', (click) => { click.stopPropagation(); pressButton(sub); });
    list.appendChild(item);
  }
  bar.appendChild(list);
  // Centred over its button, inside the bar (a style property, which the page's policy allows; no style attribute).
  const left = node.offsetLeft + node.offsetWidth / 2 - list.offsetWidth / 2;
  list.style.left = `${Math.max(4, Math.min(left, bar.offsetWidth - list.offsetWidth - 4))}px`;
}

function buildMenu(menu) {
  const bar = byId('menubar');
  for (const button of menu.button || []) {
    const node = element('button', 'menubutton', (button.sub_button ? '≡ ' : '') + button.name);
    node.type = 'button';
    node.addEventListener('click', (click) => {
      click.stopPropagation();
      if (button.sub_button) openSubmenu(bar, node, button);
      else pressButton(button);
    });
    bar.appendChild(node);
  }
  document.addEventListener('click', closeSubmenus);
}

function showMenuBar(menuMode) {
  byId('menubar').hidden = !menuMode;
  byId('inputbar').hidden = menuMode;
  if (!menuMode) input.focus();
}

// ---- settings -------------------------------------------------------------------------------------------------
function openSettings() {
  byId('setting-openid').value = state.openid;
  byId('sheet').classList.add('open');
}

function applySettings() {
  const openid = byId('setting-openid').value.trim();
  if (!validOpenid(openid)) { toast('openid 只能包含字母、数字、_ 和 -（最多 64 个）'); return; }
  state.mode = byId('setting-mode').value;
  byId('sheet').classList.remove('open');
  if (openid !== state.openid) {
    state.openid = openid;
    try {
      localStorage.setItem(OPENID_KEY, openid);
    } catch {
      // Private mode: the openid lasts for this page.
    }
    connect();
  }
}

// ---- start ----------------------------------------------------------------------------------------------------
function start(info) {
  state.view = createChatView(info, sendText);
  state.mode = info.defaultMode;
  const banner = byId('banner');
  banner.hidden = false;
  if (info.demo) {
    banner.className = 'banner demo';
    banner.textContent = '演示模式 · 未连接微信：消息由本机模拟的微信服务器签名、加密后投递，回复与客服消息都显示在这里。';
  } else {
    banner.className = 'banner live';
    banner.textContent = '真实公众号：被动回复显示在这里；客服消息（慢回答、长回答）会发往真实微信，不在此显示。';
  }
  const select = byId('setting-mode');
  for (const mode of info.modes) {
    const option = element('option', '', MODE_LABELS[mode] || mode);
    option.value = mode;
    select.appendChild(option);
  }
  select.value = info.defaultMode;
  byId('setting-note').textContent = `每次投递等待 ${info.deliveryTimeoutMs / 1000} 秒，最多投递 3 次，与微信相同。签名与加密在服务器端完成，页面拿不到 Token 与 EncodingAESKey。慢回答的占位消息会提示发送「${info.pickupKeyword}」取回答案。`;
  byId('image-button').hidden = !info.canSendImages;
  if (info.menu && info.menu.button && info.menu.button.length > 0) {
    buildMenu(info.menu);
    byId('to-menu').hidden = false;
    showMenuBar(true);
  }
  connect();
}

input.addEventListener('input', () => { sendButton.disabled = input.value.trim() === ''; });
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.isComposing) {
    event.preventDefault();
    sendFromInput();
  }
});
sendButton.addEventListener('click', sendFromInput);
byId('image-button').addEventListener('click', () => imageInput.click());
imageInput.addEventListener('change', () => {
  if (imageInput.files && imageInput.files[0]) sendImage(imageInput.files[0]);
  imageInput.value = '';
});
byId('to-menu').addEventListener('click', () => showMenuBar(true));
byId('to-keyboard').addEventListener('click', () => showMenuBar(false));
byId('settings-button').addEventListener('click', openSettings);
byId('setting-save').addEventListener('click', applySettings);
byId('setting-close').addEventListener('click', () => byId('sheet').classList.remove('open'));
byId('setting-new-user').addEventListener('click', () => { byId('setting-openid').value = randomOpenid(); });
byId('setting-subscribe').addEventListener('click', () => {
  byId('sheet').classList.remove('open');
  post({ type: 'event', event: 'subscribe' });
});
byId('viewer').addEventListener('click', () => byId('viewer').classList.remove('open'));

state.openid = initialOpenid();
fetch(`${API}/info`).then((response) => response.json()).then(start, () => toast('无法读取模拟器配置'));
