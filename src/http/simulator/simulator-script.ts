/**
 * The simulator page's script (plain browser JavaScript, no framework, no CDN). It follows one simulated user's
 * chat through `GET /simulator/api/events` (Server-Sent Events) and sends what the user types, picks or clicks to
 * `POST /simulator/api/messages`; the server plays WeChat (signing, encryption, deliveries). Everything shown
 * comes from events, so a reloaded page, or a second tab, shows the same chat. Text from the account is put in
 * the page as text (WeChat's `<a href>` links and bare URLs become links), never as HTML.
 */
export const SIMULATOR_SCRIPT = String.raw`(function () {
  'use strict';
  var API = '/simulator/api';
  var OPENID_KEY = 'wx-backend-simulator-openid';
  var MODE_LABELS = { safe: '安全模式（AES 加密）', compat: '兼容模式', plain: '明文模式' };
  var IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
  var byId = function (id) { return document.getElementById(id); };
  var chat = byId('chat'), input = byId('input'), sendButton = byId('send'), imageInput = byId('image-input');
  var state = { info: null, openid: '', mode: '', lastEventId: 0, lastShownAt: 0, typingTimer: 0, statusText: '', source: null, deliveries: {} };

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function randomOpenid() {
    var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    var bytes = new Uint8Array(27);
    crypto.getRandomValues(bytes);
    var id = 'o';
    for (var i = 0; i < bytes.length; i++) id += alphabet[bytes[i] % alphabet.length];
    return id;
  }

  function validOpenid(value) { return typeof value === 'string' && /^[\w-]{1,64}$/.test(value); }

  function initialOpenid() {
    var fromUrl = new URLSearchParams(location.search).get('openid');
    if (validOpenid(fromUrl)) return fromUrl;
    try {
      var stored = localStorage.getItem(OPENID_KEY);
      if (validOpenid(stored)) return stored;
      var fresh = randomOpenid();
      localStorage.setItem(OPENID_KEY, fresh);
      return fresh;
    } catch (error) {
      return randomOpenid();
    }
  }

  function toast(text) {
    var node = byId('toast');
    node.textContent = text;
    node.classList.add('show');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { node.classList.remove('show'); }, 2600);
  }

  function setStatus(text) {
    state.statusText = text;
    if (!state.typingTimer) byId('status').textContent = text;
  }

  function setTyping(on) {
    clearTimeout(state.typingTimer);
    state.typingTimer = 0;
    if (on) {
      byId('status').textContent = '对方正在输入…';
      // WeChat shows the indicator for at most 15 s unless it is renewed.
      state.typingTimer = setTimeout(function () { setTyping(false); }, 15000);
    } else {
      byId('status').textContent = state.statusText;
    }
  }

  function two(number) { return number < 10 ? '0' + number : String(number); }

  function timeLabel(at) {
    var date = new Date(at), now = new Date();
    var clock = two(date.getHours()) + ':' + two(date.getMinutes());
    return date.toDateString() === now.toDateString() ? clock : (date.getMonth() + 1) + '月' + date.getDate() + '日 ' + clock;
  }

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  function addTimeIfNeeded(at) {
    if (at - state.lastShownAt > 5 * 60 * 1000) {
      var row = element('div', 'time');
      row.appendChild(element('span', '', timeLabel(at)));
      chat.appendChild(row);
    }
    state.lastShownAt = at;
  }

  function addNotice(text, at) {
    addTimeIfNeeded(at);
    var row = element('div', 'notice');
    row.appendChild(element('span', '', text));
    chat.appendChild(row);
    scrollDown();
  }

  function addRow(side, bubble, at, source) {
    addTimeIfNeeded(at);
    var row = element('div', 'row ' + side);
    var avatar = element('div', 'avatar', side === 'user' ? '我' : 'AI');
    var stack = element('div', 'stack');
    if (source) bubble.setAttribute('data-source', source);
    stack.appendChild(bubble);
    row.appendChild(avatar);
    row.appendChild(stack);
    chat.appendChild(row);
    scrollDown();
    return stack;
  }

  // WeChat text may carry <a href="…">…</a> links; everything else is text, with bare URLs made clickable.
  function appendRichText(parent, text) {
    var anchor = /<a\s+href=(["'])(https?:\/\/[^"']+)\1[^>]*>([\s\S]*?)<\/a>/gi;
    var last = 0, match;
    while ((match = anchor.exec(text)) !== null) {
      appendLinkified(parent, text.slice(last, match.index));
      parent.appendChild(link(match[2], match[3] || match[2]));
      last = anchor.lastIndex;
    }
    appendLinkified(parent, text.slice(last));
  }

  function appendLinkified(parent, text) {
    var url = /https?:\/\/[^\s<>"'，。）)]+/g;
    var last = 0, match;
    while ((match = url.exec(text)) !== null) {
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(link(match[0], match[0]));
      last = url.lastIndex;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function link(href, text) {
    var node = element('a', '', text);
    node.href = href;
    node.target = '_blank';
    node.rel = 'noopener noreferrer';
    return node;
  }

  function imageBubble(url) {
    var bubble = element('div', 'bubble media');
    var image = element('img');
    image.src = url;
    image.alt = '图片';
    image.addEventListener('load', scrollDown);
    image.addEventListener('click', function () {
      var viewer = byId('viewer');
      viewer.querySelector('img').src = url;
      viewer.classList.add('open');
    });
    bubble.appendChild(image);
    return bubble;
  }

  function voiceBubble(url) {
    var bubble = element('div', 'bubble voice', '▶ 语音');
    var audio = new Audio();
    audio.preload = 'metadata';
    audio.src = url;
    audio.addEventListener('loadedmetadata', function () {
      if (isFinite(audio.duration)) bubble.textContent = '▶ ' + Math.max(1, Math.round(audio.duration)) + '″';
    });
    audio.addEventListener('ended', function () { bubble.classList.remove('playing'); });
    bubble.addEventListener('click', function () {
      if (!audio.paused) { audio.pause(); audio.currentTime = 0; bubble.classList.remove('playing'); return; }
      bubble.classList.add('playing');
      audio.play().catch(function () { bubble.classList.remove('playing'); toast('无法播放这段语音（浏览器不支持其格式）'); });
    });
    return bubble;
  }

  function cardBubble(item) {
    var bubble = element('div', 'bubble card');
    if (item.picUrl) {
      var image = element('img');
      image.src = item.picUrl;
      image.alt = '';
      bubble.appendChild(image);
    }
    var text = element('div', 'card-text');
    text.appendChild(element('div', 'card-title', item.title || '(无标题)'));
    if (item.description) text.appendChild(element('div', 'card-description', item.description));
    bubble.appendChild(text);
    if (item.url) {
      bubble.style.cursor = 'pointer';
      bubble.addEventListener('click', function () { window.open(item.url, '_blank', 'noopener'); });
    }
    return bubble;
  }

  function addAccountMessage(message, at, source) {
    switch (message.kind) {
      case 'text': {
        var bubble = element('div', 'bubble');
        appendRichText(bubble, message.text);
        addRow('account', bubble, at, source);
        return;
      }
      case 'image': addRow('account', imageBubble(message.url), at, source); return;
      case 'voice': addRow('account', voiceBubble(message.url), at, source); return;
      case 'video': {
        var video = element('div', 'bubble media');
        var player = element('video');
        player.src = message.url;
        player.controls = true;
        player.style.maxWidth = '200px';
        video.appendChild(player);
        addRow('account', video, at, source);
        return;
      }
      case 'music': addRow('account', cardBubble({ title: '♫ ' + (message.title || '音乐'), description: message.description, url: message.url }), at, source); return;
      case 'news': message.articles.forEach(function (article) { addRow('account', cardBubble(article), at, source); }); return;
      case 'options': {
        var options = element('div', 'bubble options');
        if (message.head) options.appendChild(element('div', '', message.head));
        message.options.forEach(function (option) {
          var choice = element('span', 'option', option);
          choice.addEventListener('click', function () { sendText(option); });
          options.appendChild(choice);
        });
        if (message.tail) options.appendChild(element('div', '', message.tail));
        addRow('account', options, at, source);
        return;
      }
      default: addNotice(message.text || '[消息]', at);
    }
  }

  function addUserMessage(event) {
    var message = event.message;
    if (message.kind === 'event') {
      var label = message.event === 'subscribe' ? '你关注了公众号' : message.event === 'unsubscribe' ? '你取消了关注'
        : '点击菜单「' + (message.label || message.eventKey || message.event) + '」';
      addNotice(label, event.at);
      state.deliveries[event.messageId] = null;
      return;
    }
    var bubble;
    if (message.kind === 'image') {
      bubble = imageBubble(message.url);
    } else {
      bubble = element('div', 'bubble');
      bubble.textContent = message.text;
    }
    var stack = addRow('user', bubble, event.at);
    var status = element('div', 'delivery');
    status.setAttribute('data-message-id', event.messageId);
    stack.appendChild(status);
    state.deliveries[event.messageId] = status;
  }

  function describeStatus(status, ms) {
    if (status === 'timeout') return (ms / 1000).toFixed(1) + ' 秒无应答';
    if (status === 'refused') return '连接被拒绝';
    if (status === 'closed') return '连接中断';
    return 'HTTP ' + status;
  }

  function showDelivery(event) {
    var status = state.deliveries[event.messageId];
    if (!status) return;
    status.setAttribute('data-deliveries', String(event.number));
    if (event.status === 200) return;
    var deliveries = state.info ? state.info.deliveries || 3 : 3;
    status.textContent = '第 ' + event.number + ' 次投递 ' + describeStatus(event.status, event.ms) + (event.number < deliveries ? '，微信重试…' : '');
  }

  function endExchange(event) {
    var status = state.deliveries[event.messageId];
    var failed = event.outcome === 'no-answer' || event.outcome === 'unreadable' || event.outcome === 'stopped';
    if (failed) addNotice('该公众号暂时无法提供服务，请稍后再试', event.at);
    if (!status) return;
    status.classList.toggle('bad', failed);
    var deliveries = Number(status.getAttribute('data-deliveries') || '1');
    if (event.outcome === 'passive') {
      status.textContent = deliveries > 1 ? '第 ' + deliveries + ' 次投递时回复（前 ' + (deliveries - 1) + ' 次无应答）' : '';
    } else if (event.outcome === 'success' || event.outcome === 'empty') {
      status.textContent = state.info && state.info.customerServiceShown ? '已送达' : '已送达 · 客服消息会发往真实微信，不在此显示';
    } else {
      status.textContent = event.detail || '未送达';
    }
    status.setAttribute('data-outcome', event.outcome);
  }

  function handle(event) {
    switch (event.type) {
      case 'user-message': addUserMessage(event); break;
      case 'delivery': showDelivery(event); break;
      case 'passive-reply': setTyping(false); addAccountMessage(event.message, event.at, 'passive'); break;
      case 'customer-service-message': setTyping(false); addAccountMessage(event.message, event.at, 'customer-service'); break;
      case 'typing': setTyping(event.on); break;
      case 'exchange-end': endExchange(event); break;
    }
  }

  function connect() {
    if (state.source) state.source.close();
    chat.textContent = '';
    state.lastEventId = 0;
    state.lastShownAt = 0;
    state.deliveries = {};
    var source = new EventSource(API + '/events?openid=' + encodeURIComponent(state.openid));
    source.onopen = function () { setStatus(''); };
    source.onerror = function () { setStatus('连接中断，正在重连…'); };
    source.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (event.id <= state.lastEventId) return;
      state.lastEventId = event.id;
      handle(event);
    };
    state.source = source;
  }

  function post(body) {
    body.openid = state.openid;
    if (state.mode) body.mode = state.mode;
    return fetch(API + '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (response) {
        if (response.ok) return true;
        return response.json().then(function (answer) { toast(answer.message || ('发送失败：HTTP ' + response.status)); return false; },
          function () { toast('发送失败：HTTP ' + response.status); return false; });
      }, function () { toast('发送失败：服务器无法连接'); return false; });
  }

  function sendText(text) {
    if (text.trim() === '') return Promise.resolve(false);
    return post({ type: 'text', content: text });
  }

  function sendFromInput() {
    var text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    sendButton.disabled = true;
    sendText(text).then(function (sent) { if (!sent && input.value === '') { input.value = text; sendButton.disabled = false; } });
    input.focus();
  }

  function sendImage(file) {
    if (IMAGE_TYPES.indexOf(file.type) < 0) { toast('只能发送 JPEG、PNG、GIF 或 WebP 图片'); return; }
    if (file.size > 10 * 1024 * 1024) { toast('图片不能超过 10 MB'); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result);
      post({ type: 'image', contentType: file.type, data: data.slice(data.indexOf(',') + 1) });
    };
    reader.onerror = function () { toast('无法读取这个文件'); };
    reader.readAsDataURL(file);
  }

  function closeSubmenus() {
    Array.prototype.forEach.call(document.querySelectorAll('.submenu'), function (menu) { menu.remove(); });
  }

  function pressButton(button) {
    closeSubmenus();
    if (button.type === 'click') { post({ type: 'event', event: 'CLICK', eventKey: button.key, label: button.name }); return; }
    if (button.type === 'view') {
      window.open(button.url, '_blank', 'noopener');
      post({ type: 'event', event: 'VIEW', eventKey: button.url, label: button.name });
      return;
    }
    toast('模拟器不支持「' + button.type + '」类型的菜单按钮');
  }

  function buildMenu(menu) {
    var bar = byId('menubar');
    (menu.button || []).forEach(function (button) {
      var node = element('button', 'menubutton', (button.sub_button ? '≡ ' : '') + button.name);
      node.type = 'button';
      node.addEventListener('click', function (click) {
        click.stopPropagation();
        if (!button.sub_button) { pressButton(button); return; }
        var open = bar.querySelector('.submenu[data-for="' + button.name.replace(/"/g, '') + '"]');
        closeSubmenus();
        if (open) return;
        var list = element('div', 'submenu');
        list.setAttribute('data-for', button.name.replace(/"/g, ''));
        button.sub_button.forEach(function (sub) {
          var item = element('button', '', sub.name);
          item.type = 'button';
          item.addEventListener('click', function (event) { event.stopPropagation(); pressButton(sub); });
          list.appendChild(item);
        });
        bar.appendChild(list);
        var left = node.offsetLeft + node.offsetWidth / 2 - list.offsetWidth / 2;
        list.style.left = Math.max(4, Math.min(left, bar.offsetWidth - list.offsetWidth - 4)) + 'px';
      });
      bar.appendChild(node);
    });
    document.addEventListener('click', closeSubmenus);
  }

  function showMenuBar(menuMode) {
    byId('menubar').hidden = !menuMode;
    byId('inputbar').hidden = menuMode;
    if (!menuMode) input.focus();
  }

  function openSettings() {
    byId('setting-openid').value = state.openid;
    byId('sheet').classList.add('open');
  }

  function applySettings() {
    var openid = byId('setting-openid').value.trim();
    if (!validOpenid(openid)) { toast('openid 只能包含字母、数字、_ 和 -（最多 64 个）'); return; }
    state.mode = byId('setting-mode').value;
    byId('sheet').classList.remove('open');
    if (openid !== state.openid) {
      state.openid = openid;
      try { localStorage.setItem(OPENID_KEY, openid); } catch (error) { /* private mode: the openid lasts for this page */ }
      connect();
    }
  }

  function start(info) {
    state.info = info;
    state.mode = info.defaultMode;
    var banner = byId('banner');
    banner.hidden = false;
    if (info.demo) {
      banner.className = 'banner demo';
      banner.textContent = '演示模式 · 未连接微信：消息由本机模拟的微信服务器签名、加密后投递，回复与客服消息都显示在这里。';
    } else {
      banner.className = 'banner live';
      banner.textContent = '真实公众号：被动回复显示在这里；客服消息（慢回答、长回答）会发往真实微信，不在此显示。';
    }
    var select = byId('setting-mode');
    info.modes.forEach(function (mode) {
      var option = element('option', '', MODE_LABELS[mode] || mode);
      option.value = mode;
      select.appendChild(option);
    });
    select.value = info.defaultMode;
    byId('setting-note').textContent = '每次投递等待 ' + (info.deliveryTimeoutMs / 1000) + ' 秒，最多投递 3 次，与微信相同。签名与加密在服务器端完成，页面拿不到 Token 与 EncodingAESKey。慢回答的占位消息会提示发送「' + info.pickupKeyword + '」取回答案。';
    byId('image-button').hidden = !info.canSendImages;
    if (info.menu && info.menu.button && info.menu.button.length > 0) {
      buildMenu(info.menu);
      byId('to-menu').hidden = false;
      showMenuBar(true);
    }
    connect();
  }

  input.addEventListener('input', function () { sendButton.disabled = input.value.trim() === ''; });
  input.addEventListener('keydown', function (event) { if (event.key === 'Enter' && !event.isComposing) { event.preventDefault(); sendFromInput(); } });
  sendButton.addEventListener('click', sendFromInput);
  byId('image-button').addEventListener('click', function () { imageInput.click(); });
  imageInput.addEventListener('change', function () { if (imageInput.files && imageInput.files[0]) sendImage(imageInput.files[0]); imageInput.value = ''; });
  byId('to-menu').addEventListener('click', function () { showMenuBar(true); });
  byId('to-keyboard').addEventListener('click', function () { showMenuBar(false); });
  byId('settings-button').addEventListener('click', openSettings);
  byId('setting-save').addEventListener('click', applySettings);
  byId('setting-close').addEventListener('click', function () { byId('sheet').classList.remove('open'); });
  byId('setting-new-user').addEventListener('click', function () { byId('setting-openid').value = randomOpenid(); });
  byId('setting-subscribe').addEventListener('click', function () { byId('sheet').classList.remove('open'); post({ type: 'event', event: 'subscribe' }); });
  byId('viewer').addEventListener('click', function () { byId('viewer').classList.remove('open'); });

  state.openid = initialOpenid();
  fetch(API + '/info').then(function (response) { return response.json(); }).then(start, function () { toast('无法读取模拟器配置'); });
})();`;
