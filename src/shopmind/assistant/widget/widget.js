/* shopmind chat widget: one script tag on the shop's page (docs/assistant.md).
   <script src="https://assistant.example/widget.js" data-key="sm_..." data-lang="zh-CN"
           data-customer="C000123" data-customer-token="<HMAC from the shop's server>" data-title="…" async></script>
   Optional: data-poll (seconds between checks for a person's reply, default 3), data-color (accent).
   Plain ES2017, no dependencies; talks only to the shopmind server it was loaded from.
   All text goes in through textContent: nothing from the customer or the server is parsed as HTML. */
(function () {
  'use strict';
  if (window.ShopmindWidget) return;
  var me = document.currentScript || document.querySelector('script[src*="widget.js"][data-key]');
  if (!me || !me.src) return;
  var d = me.dataset;
  var base = new URL('.', me.src).href; // the API lives next to widget.js
  var key = d.key || '';
  var customer = d.customer || null;
  var customerToken = d.customerToken || null; // proves the customer id (docs/assistant.md)
  var lang = /^zh/i.test(d.lang || navigator.language || 'zh') ? 'zh' : 'en';
  var POLL_MS = Math.max(1000, (parseFloat(d.poll) || 3) * 1000);
  var T = {
    zh: {
      title: '在线客服', open: '打开在线客服', close: '关闭', label: '输入您的问题',
      placeholder: '请输入您的问题，按 Enter 发送', send: '发送', hello: '您好！有什么可以帮您？',
      handoff: '正在为您转接人工客服…', agent: '人工客服', sources: '来源', products: '为您推荐',
      error: '出错了：', offline: '无法连接客服，请检查网络后重试。', typing: '正在输入'
    },
    en: {
      title: 'Chat with us', open: 'Open the chat', close: 'Close', label: 'Your question',
      placeholder: 'Type your question and press Enter', send: 'Send', hello: 'Hello! How can we help?',
      handoff: 'Connecting you to a person…', agent: 'Customer service', sources: 'Sources',
      products: 'Suggested for you', error: 'Something went wrong: ',
      offline: 'Could not reach customer service. Check your connection and try again.', typing: 'Typing'
    }
  }[lang];
  var STORE = 'shopmind-chat:' + base + ':' + (customer || '');
  var saved = {};
  try { saved = JSON.parse(sessionStorage.getItem(STORE) || '{}') || {}; } catch (e) { saved = {}; }
  var conv = saved.id || null;
  var status = 'bot';
  var lastSeq = 0;
  var seen = {};
  var busy = false;
  var timer = null;

  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify({ id: conv, open: !panel.hidden })); } catch (e) { /* private mode */ }
  }

  function el(tag, cls, text, attrs) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    for (var k in attrs || {}) n.setAttribute(k, attrs[k]);
    return n;
  }

  var CSS = ':host{all:initial!important;display:block!important}' +
    '*{box-sizing:border-box;font:inherit;color:inherit;margin:0;padding:0}' +
    '.w{font:14px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#1f2328}' +
    '.launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border:0;' +
    'border-radius:50%;background:var(--sm-accent,#1a7f5a);color:#fff;cursor:pointer;display:flex;' +
    'align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
    '.launch:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #0969da;outline-offset:2px}' +
    '.dot{position:absolute;top:6px;right:6px;width:12px;height:12px;border-radius:50%;background:#d1242f;border:2px solid #fff}' +
    '.panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:360px;max-width:calc(100vw - 24px);' +
    'height:520px;max-height:calc(100vh - 110px);background:#fff;border-radius:12px;display:flex;' +
    'flex-direction:column;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.25)}' +
    '[hidden]{display:none!important}' +
    '.head{display:flex;align-items:center;padding:10px 14px;background:var(--sm-accent,#1a7f5a);color:#fff}' +
    '.head h2{flex:1;font-size:15px;font-weight:600}' +
    '.x{background:none;border:0;color:#fff;font-size:20px;line-height:1;cursor:pointer;padding:2px 6px}' +
    '.log{flex:1;overflow-y:auto;padding:12px;background:#f6f8fa;display:flex;flex-direction:column;gap:8px}' +
    '.msg{max-width:85%;display:flex;flex-direction:column;gap:4px}' +
    '.b{padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;background:#fff;border:1px solid #d0d7de}' +
    '.customer{align-self:flex-end}.customer .b{background:var(--sm-accent,#1a7f5a);color:#fff;border-color:transparent}' +
    '.agent .b{background:#fff8c5;border-color:#d4a72c}' +
    '.who{font-size:12px;color:#59636e}' +
    '.src,.prods{font-size:12px;color:#59636e}.prods li{list-style:none;display:flex;gap:8px;justify-content:space-between}' +
    '.note{align-self:center;font-size:12px;color:#59636e;background:#eaeef2;border-radius:10px;padding:3px 10px}' +
    '.err{align-self:stretch;font-size:13px;color:#82071e;background:#ffebe9;border:1px solid #ff8182;border-radius:8px;padding:6px 10px}' +
    '.typing .b{display:flex;gap:4px;padding:12px}.typing i{width:6px;height:6px;border-radius:50%;background:#8c959f;' +
    'animation:sm 1s infinite}.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}' +
    '@keyframes sm{0%,80%,100%{opacity:.3}40%{opacity:1}}' +
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de;background:#fff}' +
    'textarea{flex:1;resize:none;border:1px solid #d0d7de;border-radius:8px;padding:7px 9px;height:38px;max-height:100px;background:#fff}' +
    '.send{border:0;border-radius:8px;padding:0 14px;background:var(--sm-accent,#1a7f5a);color:#fff;cursor:pointer}' +
    '.send:disabled{opacity:.5;cursor:default}' +
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}';

  var host = document.createElement('shopmind-chat');
  if (d.color) host.style.setProperty('--sm-accent', d.color);
  var root = host.attachShadow({ mode: 'open' });
  root.appendChild(el('style', null, CSS));
  var w = root.appendChild(el('div', 'w'));

  var launcher = w.appendChild(el('button', 'launch', null,
    { type: 'button', 'aria-label': T.open, 'aria-expanded': 'false', 'aria-controls': 'sm-panel' }));
  var NS = 'http://www.w3.org/2000/svg';
  var svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '26');
  svg.setAttribute('height', '26');
  svg.setAttribute('aria-hidden', 'true');
  var path = document.createElementNS(NS, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z');
  svg.appendChild(path);
  launcher.appendChild(svg);
  var dot = launcher.appendChild(el('span', 'dot', null, { 'aria-hidden': 'true' }));
  dot.hidden = true;

  var title = d.title || T.title;
  var panel = w.appendChild(el('div', 'panel', null,
    { id: 'sm-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'sm-title' }));
  panel.hidden = true;
  var head = panel.appendChild(el('div', 'head'));
  head.appendChild(el('h2', null, title, { id: 'sm-title' }));
  var closeBtn = head.appendChild(el('button', 'x', '×', { type: 'button', 'aria-label': T.close }));
  var log = panel.appendChild(el('div', 'log', null, { role: 'log', 'aria-live': 'polite', 'aria-label': title }));
  var form = panel.appendChild(el('form'));
  form.appendChild(el('label', 'sr', T.label, { for: 'sm-input' }));
  var input = form.appendChild(el('textarea', null, null,
    { id: 'sm-input', rows: '1', maxlength: '2000', placeholder: T.placeholder }));
  var sendBtn = form.appendChild(el('button', 'send', T.send, { type: 'submit' }));

  function scroll() { log.scrollTop = log.scrollHeight; }

  function add(node) { log.appendChild(node); scroll(); return node; }

  function note(text, cls) {
    return add(el('div', cls || 'note', text, cls === 'err' ? { role: 'alert' } : null));
  }

  function bubble(m) {
    var box = el('div', 'msg ' + m.role, null, { 'data-role': m.role });
    if (m.seq) box.setAttribute('data-seq', m.seq);
    if (m.role === 'agent') box.appendChild(el('span', 'who', T.agent));
    box.appendChild(el('div', 'b', m.text));
    var src = (m.sources || []).map(function (s) { return s.title; }).filter(Boolean);
    if (src.length) box.appendChild(el('div', 'src', T.sources + (lang === 'zh' ? '：' : ': ') + src.join(' · ')));
    var prods = m.products || [];
    if (prods.length) {
      var ul = el('ul', 'prods', null, { 'aria-label': T.products });
      prods.forEach(function (p) {
        var li = ul.appendChild(el('li', null, null, { 'data-sku': p.sku }));
        li.appendChild(el('span', null, p.title || p.sku));
        if (p.price != null) li.appendChild(el('span', null, '¥' + Number(p.price).toFixed(2)));
      });
      box.appendChild(ul);
    }
    if (m.seq) seen[m.seq] = true;
    add(box);
    if (m.outcome === 'handoff') note(T.handoff, 'note handoff');
    return box;
  }

  function api(method, path, body) {
    return fetch(base + path, {
      method: method,
      headers: Object.assign({ Authorization: 'Bearer ' + key }, body ? { 'Content-Type': 'application/json' } : {}),
      body: body ? JSON.stringify(body) : undefined,
      mode: 'cors',
      credentials: 'omit'
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) return j;
        var e = new Error(typeof j.error === 'string' ? j.error : r.statusText || String(r.status));
        e.status = r.status;
        throw e;
      });
    });
  }

  function showError(e) {
    note(e && e.status ? T.error + (e.message || e.status) : T.offline, 'err');
  }

  function pollPath() {
    return 'v1/chat/' + encodeURIComponent(conv) + '?after=' + lastSeq +
      (customer ? '&customer_id=' + encodeURIComponent(customer) : '');
  }

  // Messages since lastSeq: a person's replies after a hand-off, or the whole chat after a reload.
  function fetchMessages(all) {
    return api('GET', pollPath()).then(function (r) {
      status = r.status;
      (r.messages || []).forEach(function (m) {
        lastSeq = Math.max(lastSeq, m.seq);
        if (seen[m.seq] || (m.role === 'customer' && !all)) return; // our own are on screen already
        bubble(m);
        if (m.role === 'agent' && panel.hidden && !all) dot.hidden = false;
      });
      schedule();
    });
  }

  function schedule() {
    clearTimeout(timer);
    if (conv && (status === 'waiting' || status === 'human')) {
      timer = setTimeout(function () {
        if (busy || document.hidden) return schedule();
        fetchMessages(false).catch(schedule);
      }, POLL_MS);
    }
  }

  function typing() {
    var t = el('div', 'msg assistant typing', null, { role: 'status', 'aria-label': T.typing, 'data-testid': 'typing' });
    var b = t.appendChild(el('div', 'b'));
    b.appendChild(el('i'));
    b.appendChild(el('i'));
    b.appendChild(el('i'));
    return add(t);
  }

  // The language of the message when it is clear (Chinese characters, or English words), else the page's.
  function langOf(text) {
    if (/[\u3400-\u9fff]/.test(text)) return 'zh';
    return /[a-z]{2,}.*\s.*[a-z]{2,}/i.test(text) ? 'en' : lang;
  }

  function send(text, retried) {
    busy = true;
    sendBtn.disabled = true;
    var mine = retried || bubble({ role: 'customer', text: text });
    var dots = typing();
    var body = { message: text, conversation_id: conv, customer_id: customer, language: langOf(text), channel: 'widget' };
    if (customerToken) body.customer_token = customerToken;
    return api('POST', 'v1/chat', body).then(function (r) {
      dots.remove();
      conv = r.conversation_id;
      status = r.status;
      save();
      var rep = r.reply || {};
      bubble({ role: 'assistant', seq: r.seq, text: rep.text, outcome: rep.outcome, sources: rep.sources, products: rep.products });
      schedule();
    }, function (e) {
      dots.remove();
      if (e.status === 404 && conv && !retried && /conversation/i.test(e.message)) { // expired: start anew
        conv = null;
        save();
        return send(text, mine);
      }
      mine.remove();
      if (!input.value) input.value = text;
      showError(e);
    }).then(function () {
      busy = false;
      sendBtn.disabled = false;
    });
  }

  function open() {
    panel.hidden = false;
    dot.hidden = true;
    launcher.setAttribute('aria-expanded', 'true');
    if (!log.childNodes.length) note(T.hello, 'note hello');
    save();
    scroll();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    save();
    launcher.focus();
  }

  launcher.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = '';
    send(text);
  });
  input.addEventListener('keydown', function (e) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition (拼音) does not send
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });

  function mount() {
    document.body.appendChild(host);
    if (conv) {
      fetchMessages(true).catch(function (e) {
        if (e.status === 404) { conv = null; save(); } else showError(e);
      });
    }
    if (saved.open) open();
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);

  window.ShopmindWidget = { open: open, close: close };
})();
