// The simulator page's drawing: the chat (time stamps, notices, the bubbles of each kind of message, the delivery
// note under a user's message), the status line with WeChat's typing indicator, and the toast. Text from the
// account is put in the page as text (WeChat's `<a href>` links and bare URLs become links), never as HTML.
// An ES module of the page (no build step); simulator.js drives it.
/* global document, window, Audio */

export const byId = (id) => document.getElementById(id);

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- toast and status line ------------------------------------------------------------------------------------
let toastTimer = 0;

export function toast(text) {
  const node = byId('toast');
  node.textContent = text;
  node.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => node.classList.remove('show'), 2600);
}

const status = { text: '', typingTimer: 0 };

/** The line under the account's name; the typing indicator covers it while it is on. */
export function setStatus(text) {
  status.text = text;
  if (!status.typingTimer) byId('status').textContent = text;
}

function setTyping(on) {
  clearTimeout(status.typingTimer);
  status.typingTimer = 0;
  if (on) {
    byId('status').textContent = '对方正在输入…';
    // WeChat shows the indicator for at most 15 s unless it is renewed.
    status.typingTimer = setTimeout(() => setTyping(false), 15000);
  } else {
    byId('status').textContent = status.text;
  }
}

// ---- message bubbles ------------------------------------------------------------------------------------------
const two = (number) => (number < 10 ? `0${number}` : String(number));

function timeLabel(at) {
  const date = new Date(at);
  const clock = `${two(date.getHours())}:${two(date.getMinutes())}`;
  return date.toDateString() === new Date().toDateString() ? clock : `${date.getMonth() + 1}月${date.getDate()}日 ${clock}`;
}

function link(href, text) {
  const node = element('a', '', text);
  node.href = href;
  node.target = '_blank';
  node.rel = 'noopener noreferrer';
  return node;
}

function appendLinkified(parent, text) {
  const url = /https?:\/\/[^\s<>"'，。）)]+/g;
  let last = 0;
  let match;
  while ((match = url.exec(text)) !== null) {
    parent.appendChild(document.createTextNode(text.slice(last, match.index)));
    parent.appendChild(link(match[0], match[0]));
    last = url.lastIndex;
  }
  parent.appendChild(document.createTextNode(text.slice(last)));
}

// WeChat text may carry <a href="…">…</a> links; everything else is text, with bare URLs made clickable.
function appendRichText(parent, text) {
  const anchor = /<a\s+href=(["'])(https?:\/\/[^"']+)\1[^>]*>([\s\S]*?)<\/a>/gi;
  let last = 0;
  let match;
  while ((match = anchor.exec(text)) !== null) {
    appendLinkified(parent, text.slice(last, match.index));
    parent.appendChild(link(match[2], match[3] || match[2]));
    last = anchor.lastIndex;
  }
  appendLinkified(parent, text.slice(last));
}

function voiceBubble(url) {
  const bubble = element('div', 'bubble voice', '▶ 语音');
  const audio = new Audio();
  audio.preload = 'metadata';
  audio.src = url;
  audio.addEventListener('loadedmetadata', () => {
    if (Number.isFinite(audio.duration)) bubble.textContent = `▶ ${Math.max(1, Math.round(audio.duration))}″`;
  });
  audio.addEventListener('ended', () => bubble.classList.remove('playing'));
  bubble.addEventListener('click', () => {
    if (!audio.paused) {
      audio.pause();
      audio.currentTime = 0;
      bubble.classList.remove('playing');
      return;
    }
    bubble.classList.add('playing');
    audio.play().catch(() => {
      bubble.classList.remove('playing');
      toast('无法播放这段语音（浏览器不支持其格式）');
    });
  });
  return bubble;
}

function cardBubble(item) {
  const bubble = element('div', 'bubble card');
  if (item.picUrl) {
    const image = element('img');
    image.src = item.picUrl;
    image.alt = '';
    bubble.appendChild(image);
  }
  const text = element('div', 'card-text');
  text.appendChild(element('div', 'card-title', item.title || '(无标题)'));
  if (item.description) text.appendChild(element('div', 'card-description', item.description));
  bubble.appendChild(text);
  if (item.url) {
    bubble.classList.add('linked');
    bubble.addEventListener('click', () => window.open(item.url, '_blank', 'noopener'));
  }
  return bubble;
}

function videoBubble(url) {
  const bubble = element('div', 'bubble media');
  const player = element('video');
  player.src = url;
  player.controls = true;
  bubble.appendChild(player);
  return bubble;
}

function describeStatus(status, ms) {
  if (status === 'timeout') return `${(ms / 1000).toFixed(1)} 秒无应答`;
  if (status === 'refused') return '连接被拒绝';
  if (status === 'closed') return '连接中断';
  return `HTTP ${status}`;
}

// ---- the chat -------------------------------------------------------------------------------------------------
/**
 * The chat of one user, drawn from the simulator's events (`info` is `/simulator/api/info`; `chooseOption(text)`
 * sends an option the user clicked). `clear()` empties it before the events of another user are shown.
 */
export function createChatView(info, chooseOption) {
  const chat = byId('chat');
  let lastShownAt = 0;
  /** messageId → the delivery note under that message (null for an event, which has none). */
  let deliveries = {};

  const scrollDown = () => {
    chat.scrollTop = chat.scrollHeight;
  };

  function addTimeIfNeeded(at) {
    if (at - lastShownAt > 5 * 60 * 1000) {
      const row = element('div', 'time');
      row.appendChild(element('span', '', timeLabel(at)));
      chat.appendChild(row);
    }
    lastShownAt = at;
  }

  function addNotice(text, at) {
    addTimeIfNeeded(at);
    const row = element('div', 'notice');
    row.appendChild(element('span', '', text));
    chat.appendChild(row);
    scrollDown();
  }

  function addRow(side, bubble, at, source) {
    addTimeIfNeeded(at);
    const row = element('div', `row ${side}`);
    const stack = element('div', 'stack');
    if (source) bubble.setAttribute('data-source', source);
    stack.appendChild(bubble);
    row.appendChild(element('div', 'avatar', side === 'user' ? '我' : 'AI'));
    row.appendChild(stack);
    chat.appendChild(row);
    scrollDown();
    return stack;
  }

  function imageBubble(url) {
    const bubble = element('div', 'bubble media');
    const image = element('img');
    image.src = url;
    image.alt = '图片';
    image.addEventListener('load', scrollDown);
    image.addEventListener('click', () => {
      const viewer = byId('viewer');
      viewer.querySelector('img').src = url;
      viewer.classList.add('open');
    });
    bubble.appendChild(image);
    return bubble;
  }

  function optionsBubble(message) {
    const bubble = element('div', 'bubble options');
    if (message.head) bubble.appendChild(element('div', '', message.head));
    for (const option of message.options) {
      const choice = element('span', 'option', option);
      choice.addEventListener('click', () => chooseOption(option));
      bubble.appendChild(choice);
    }
    if (message.tail) bubble.appendChild(element('div', '', message.tail));
    return bubble;
  }

  function addAccountMessage(message, at, source) {
    const add = (bubble) => addRow('account', bubble, at, source);
    switch (message.kind) {
      case 'text': {
        const bubble = element('div', 'bubble');
        appendRichText(bubble, message.text);
        add(bubble);
        return;
      }
      case 'image': add(imageBubble(message.url)); return;
      case 'voice': add(voiceBubble(message.url)); return;
      case 'video': add(videoBubble(message.url)); return;
      case 'music': add(cardBubble({ title: `♫ ${message.title || '音乐'}`, description: message.description, url: message.url })); return;
      case 'news': for (const article of message.articles) add(cardBubble(article)); return;
      case 'options': add(optionsBubble(message)); return;
      default: addNotice(message.text || '[消息]', at);
    }
  }

  function addUserMessage(event) {
    const message = event.message;
    if (message.kind === 'event') {
      const label = message.event === 'subscribe' ? '你关注了公众号' : message.event === 'unsubscribe' ? '你取消了关注'
        : `点击菜单「${message.label || message.eventKey || message.event}」`;
      addNotice(label, event.at);
      deliveries[event.messageId] = null;
      return;
    }
    const bubble = message.kind === 'image' ? imageBubble(message.url) : element('div', 'bubble', message.text);
    const stack = addRow('user', bubble, event.at);
    const note = element('div', 'delivery');
    note.setAttribute('data-message-id', event.messageId);
    stack.appendChild(note);
    deliveries[event.messageId] = note;
  }

  function showDelivery(event) {
    const note = deliveries[event.messageId];
    if (!note) return;
    note.setAttribute('data-deliveries', String(event.number));
    if (event.status === 200) return;
    const most = info.deliveries || 3;
    note.textContent = `第 ${event.number} 次投递 ${describeStatus(event.status, event.ms)}${event.number < most ? '，微信重试…' : ''}`;
  }

  function endExchange(event) {
    const note = deliveries[event.messageId];
    const failed = event.outcome === 'no-answer' || event.outcome === 'unreadable' || event.outcome === 'stopped';
    if (failed) addNotice('该公众号暂时无法提供服务，请稍后再试', event.at);
    if (!note) return;
    note.classList.toggle('bad', failed);
    const made = Number(note.getAttribute('data-deliveries') || '1');
    if (event.outcome === 'passive') {
      note.textContent = made > 1 ? `第 ${made} 次投递时回复（前 ${made - 1} 次无应答）` : '';
    } else if (event.outcome === 'success' || event.outcome === 'empty') {
      note.textContent = info.customerServiceShown ? '已送达' : '已送达 · 客服消息会发往真实微信，不在此显示';
    } else {
      note.textContent = event.detail || '未送达';
    }
    note.setAttribute('data-outcome', event.outcome);
  }

  return {
    clear() {
      chat.textContent = '';
      lastShownAt = 0;
      deliveries = {};
    },
    /** Draws one event of `GET /simulator/api/events`. */
    show(event) {
      switch (event.type) {
        case 'user-message': addUserMessage(event); break;
        case 'delivery': showDelivery(event); break;
        case 'passive-reply': setTyping(false); addAccountMessage(event.message, event.at, 'passive'); break;
        case 'customer-service-message': setTyping(false); addAccountMessage(event.message, event.at, 'customer-service'); break;
        case 'typing': setTyping(event.on); break;
        case 'exchange-end': endExchange(event); break;
      }
    },
  };
}
