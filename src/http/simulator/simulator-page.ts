/**
 * `GET /simulator`: one self-contained HTML document (style and script inline, nothing from a CDN) that looks
 * like a WeChat chat on a phone. What it shows is filled in by its script from the simulator's API.
 */
import { SIMULATOR_SCRIPT } from './simulator-script.js';
import { SIMULATOR_STYLE } from './simulator-style.js';

export { SIMULATOR_SCRIPT };

const BODY = `
<div class="phone">
  <header class="top">
    <button type="button" aria-hidden="true" tabindex="-1" disabled>‹</button>
    <div class="title"><div class="name">wx-backend</div><div class="status" id="status"></div></div>
    <button type="button" id="settings-button" title="设置" aria-label="设置">⋯</button>
  </header>
  <div class="banner" id="banner" hidden></div>
  <main class="chat" id="chat" aria-live="polite"></main>
  <footer class="composer">
    <div class="inputbar" id="inputbar">
      <button type="button" class="icon" id="to-menu" title="菜单" aria-label="菜单" hidden><svg viewBox="0 0 20 20"><path d="M5 6h10M5 10h10M5 14h10"/></svg></button>
      <input type="text" id="input" placeholder="发消息" autocomplete="off" maxlength="4000" aria-label="消息">
      <button type="button" class="icon" id="image-button" title="发送图片" aria-label="发送图片"><svg viewBox="0 0 20 20"><path d="M10 5v10M5 10h10"/></svg></button>
      <button type="button" class="send" id="send" disabled>发送</button>
    </div>
    <div class="menubar" id="menubar" hidden>
      <div class="toggle"><button type="button" class="icon" id="to-keyboard" title="键盘" aria-label="键盘"><svg viewBox="0 0 20 20"><rect x="3" y="6" width="14" height="9" rx="1.5"/><path d="M6 9h.01M9 9h.01M12 9h.01M15 9h.01M7 12h6"/></svg></button></div>
    </div>
    <input type="file" id="image-input" accept="image/jpeg,image/png,image/gif,image/webp" hidden>
  </footer>
  <div class="sheet" id="sheet">
    <div class="panel">
      <h2>模拟器设置</h2>
      <label for="setting-openid">用户 openid</label>
      <input id="setting-openid" autocomplete="off">
      <label for="setting-mode">消息加解密方式</label>
      <select id="setting-mode"></select>
      <div class="buttons">
        <button type="button" id="setting-new-user">换个新用户</button>
        <button type="button" id="setting-subscribe">关注公众号</button>
      </div>
      <div class="buttons">
        <button type="button" id="setting-close">取消</button>
        <button type="button" class="primary" id="setting-save">保存</button>
      </div>
      <p id="setting-note"></p>
    </div>
  </div>
  <div class="toast" id="toast" role="status"></div>
  <div class="viewer" id="viewer"><img alt=""></div>
</div>`;

const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>微信聊天模拟器 · wx-backend</title>
<style>${SIMULATOR_STYLE}</style>
</head>
<body>${BODY}
<script>${SIMULATOR_SCRIPT}</script>
</body>
</html>`;

export function simulatorPage(): string {
  return PAGE;
}
