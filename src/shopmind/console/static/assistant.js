// Customer-service page: the hand-offs chart, keeping typed text when HTMX refreshes a list,
// readable errors for every request, and the Try-it chat box. All user text goes in by textContent.
(function () {
  "use strict";
  var data = { labels: {} };
  var POLL_MS = 4000;

  function label(key) { return (data.labels && data.labels[key]) || key; }
  function named(group, key) { return ((data.labels && data.labels[group]) || {})[key] || key; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // The console's and the API's error shape is {"ok": false, "error": "message"}.
  function errorMessage(body, status) {
    if (status === 401) { return label("session_expired"); }
    if (body && typeof body.error === "string") { return body.error; }
    if (body && body.error && body.error.message) { return body.error.message; }
    return label("failed") + " (HTTP " + status + ")";
  }

  function showError(elt, message) {
    var box = elt && elt.closest ? elt.closest("form") : null;
    box = box ? box.querySelector(".form-error") : null;
    if (!box) { box = document.getElementById("assistant-alert"); }
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
  }

  // ---- the hand-offs-by-reason chart ---------------------------------------------------------
  var chart = null;
  function drawChart() {
    if (chart) { chart.dispose(); chart = null; }
    var node = document.getElementById("chart-reasons");
    var src = document.getElementById("reasons-data");
    if (!node || !src || !window.echarts) { return; }
    var rows = JSON.parse(src.textContent || "[]").slice().reverse(); // largest on top
    if (!rows.length) { return; }
    chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 10, right: 30, top: 6, bottom: 24, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map(function (r) { return named("reasons", r[0]); }) },
      series: [{ name: label("tickets"), type: "bar", barMaxWidth: 22, itemStyle: { color: "#2e7d32" },
                 label: { show: true, position: "right" }, data: rows.map(function (r) { return r[1]; }) }]
    });
  }

  // ---- HTMX: keep what was typed across list refreshes; readable errors ------------------------
  var kept = null;
  function fields(box) { return box.querySelectorAll("input[name]:not([type=hidden]), textarea[name]"); }

  function wire() {
    var body = document.body;
    body.addEventListener("htmx:beforeRequest", function (ev) {
      var form = ev.detail.elt && ev.detail.elt.closest ? ev.detail.elt.closest("form") : null;
      var box = form ? form.querySelector(".form-error") : null;
      if (box) { box.textContent = ""; }
      var alertBox = document.getElementById("assistant-alert");
      if (alertBox) { alertBox.hidden = true; }
    });
    body.addEventListener("htmx:beforeSwap", function (ev) {
      var target = ev.detail.target;
      kept = null;
      if (!ev.detail.shouldSwap || !target || !target.hasAttribute("data-keep-scope")) { return; }
      kept = { values: {}, focus: null };
      target.querySelectorAll("[data-keep]").forEach(function (box) {
        fields(box).forEach(function (f) {
          var key = box.getAttribute("data-keep") + "\u0000" + f.name;
          if (f.value !== f.defaultValue) { kept.values[key] = f.value; }
          if (document.activeElement === f) { kept.focus = key; }
        });
      });
    });
    body.addEventListener("htmx:afterSwap", function (ev) {
      var target = ev.detail.target;
      if (kept && target && target.hasAttribute && target.hasAttribute("data-keep-scope")) {
        target.querySelectorAll("[data-keep]").forEach(function (box) {
          fields(box).forEach(function (f) {
            var key = box.getAttribute("data-keep") + "\u0000" + f.name;
            if (Object.prototype.hasOwnProperty.call(kept.values, key)) { f.value = kept.values[key]; }
            if (kept.focus === key) { f.focus(); }
          });
        });
      }
      kept = null;
      if (target && target.id === "metrics") { drawChart(); }
    });
    body.addEventListener("htmx:afterRequest", function (ev) {
      var elt = ev.detail.elt;
      // a form whose write succeeded: the server sends the changed list elsewhere (HX-Retarget)
      if (ev.detail.successful && elt && elt.tagName === "FORM" && ev.detail.xhr.getResponseHeader("HX-Retarget")) {
        if (elt.hasAttribute("data-reset")) { elt.reset(); }
        if (elt.classList.contains("reply-form")) { poll(); } // the Try-it box shows the agent's reply
      }
    });
    body.addEventListener("htmx:responseError", function (ev) {
      var xhr = ev.detail.xhr;
      var json = null;
      try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
      showError(ev.detail.elt, errorMessage(json, xhr.status));
    });
    body.addEventListener("htmx:sendError", function (ev) { showError(ev.detail.elt, label("offline")); });
  }

  // ---- Try it: the merchant writes as a customer --------------------------------------------
  var conv = { id: null, customer: "", after: 0, status: "bot", timer: null, busy: false };

  function bubble(role, text, meta) {
    var node = el("div", "msg " + role);
    node.setAttribute("data-role", role);
    node.appendChild(el("div", "msg-meta", named("roles", role) + (meta ? " · " + meta : "")));
    node.appendChild(el("div", "msg-text", text));
    return node;
  }

  function chatLog() { return document.getElementById("chat-log"); }
  function scrollDown() { var log = chatLog(); if (log) { log.scrollTop = log.scrollHeight; } }

  function showConversation() {
    var idNode = document.getElementById("chat-conversation");
    var statusNode = document.getElementById("chat-status");
    if (idNode) { idNode.textContent = conv.id || "—"; }
    if (statusNode) { statusNode.textContent = conv.id ? "· " + named("status", conv.status) : ""; }
    var box = document.getElementById("try-it");
    if (box) { box.setAttribute("data-status", conv.id ? conv.status : ""); }
  }

  function assistantBubble(res) {
    var reply = res.reply || {};
    var meta = [named("outcomes", reply.outcome)];
    if (reply.intent) { meta.push(label("intent") + " " + reply.intent); }
    if (typeof reply.confidence === "number" && reply.outcome !== "waiting") {
      meta.push(label("confidence") + " " + Math.round(reply.confidence * 100) + "%");
    }
    var node = bubble("assistant", reply.text || "", meta.join(" · "));
    node.setAttribute("data-outcome", reply.outcome || "");
    node.setAttribute("data-seq", res.seq);
    if (reply.sources && reply.sources.length) {
      var src = el("div", "msg-sources");
      src.appendChild(el("span", "muted", label("sources") + ":"));
      reply.sources.forEach(function (s) {
        var code = el("code", "src", s.id);
        code.title = s.title || "";
        src.appendChild(document.createTextNode(" "));
        src.appendChild(code);
        if (s.title) { src.appendChild(el("span", "src-title", s.title)); }
      });
      node.appendChild(src);
    }
    if (reply.products && reply.products.length) {
      var list = el("ul", "msg-products");
      list.setAttribute("aria-label", label("products"));
      reply.products.forEach(function (p) {
        var li = el("li", null, p.title || p.sku);
        li.setAttribute("data-sku", p.sku);
        if (p.price !== null && p.price !== undefined) { li.appendChild(el("span", "muted", " ¥" + p.price)); }
        list.appendChild(li);
      });
      node.appendChild(list);
    }
    return node;
  }

  function schedulePoll() {
    clearTimeout(conv.timer);
    conv.timer = null;
    if (conv.id && conv.status !== "bot") { conv.timer = setTimeout(poll, POLL_MS); }
  }

  // A person's replies after a hand-off. Only agent messages are drawn from here (the box drew
  // its own); `after` only moves forward here, so none is missed.
  function poll() {
    if (!conv.id) { return; }
    if (document.hidden) { schedulePoll(); return; }
    var id = conv.id;
    var url = "/console/assistant/chat/" + encodeURIComponent(id) + "?after=" + conv.after +
      "&customer_id=" + encodeURIComponent(conv.customer);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || id !== conv.id) { return; }
        var log = chatLog();
        (body.messages || []).forEach(function (m) {
          conv.after = Math.max(conv.after, m.seq);
          if (m.role === "agent" && log && !log.querySelector('.msg.agent[data-seq="' + m.seq + '"]')) {
            var node = bubble("agent", m.text);
            node.setAttribute("data-seq", m.seq);
            log.appendChild(node);
            scrollDown();
          }
        });
        conv.status = body.status || conv.status;
        showConversation();
      })
      .catch(function () { /* the next poll tries again */ })
      .then(schedulePoll);
  }

  function resetConversation() {
    clearTimeout(conv.timer);
    conv = { id: null, customer: "", after: 0, status: "bot", timer: null, busy: false };
    var log = chatLog();
    if (log) { log.textContent = ""; }
    var note = document.getElementById("chat-note");
    if (note) { note.hidden = true; note.textContent = ""; }
    var err = document.getElementById("chat-error");
    if (err) { err.hidden = true; }
    showConversation();
  }

  function tryIt() {
    var form = document.getElementById("chat-form");
    if (!form) { return; }
    var input = document.getElementById("chat-message");
    var customer = document.getElementById("chat-customer");
    var send = document.getElementById("chat-send");
    var err = document.getElementById("chat-error");
    var note = document.getElementById("chat-note");
    document.getElementById("chat-new").addEventListener("click", function () { resetConversation(); input.focus(); });
    customer.addEventListener("change", function () {
      // a conversation belongs to one customer: another id starts another conversation
      if (conv.id && customer.value.trim() !== conv.customer) { resetConversation(); }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text || conv.busy) { return; }
      var who = customer.value.trim();
      if (conv.id && who !== conv.customer) { resetConversation(); }
      var log = chatLog();
      var mine = bubble("customer", text);
      log.appendChild(mine);
      scrollDown();
      err.hidden = true;
      conv.busy = true;
      send.disabled = true;
      form.setAttribute("aria-busy", "true");
      var waiting = el("div", "msg assistant pending", label("sending"));
      log.appendChild(waiting);
      fetch("/console/assistant/chat", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: text, conversation_id: conv.id, customer_id: who || null })
      })
        .then(function (r) {
          return r.json().catch(function () { return null; }).then(function (json) { return { r: r, json: json }; });
        })
        .then(function (res) {
          waiting.remove();
          if (!res.r.ok || !res.json || res.json.ok === false) {
            mine.classList.add("failed");
            err.textContent = errorMessage(res.json, res.r.status);
            err.hidden = false;
            return;
          }
          var body = res.json;
          input.value = "";
          conv.id = body.conversation_id;
          conv.customer = who;
          conv.status = body.status;
          mine.setAttribute("data-seq", body.seq - 1);
          log.appendChild(assistantBubble(body));
          if (body.ticket_id) {
            note.textContent = label("handed_off").replace("{id}", body.ticket_id);
            note.setAttribute("data-ticket", body.ticket_id);
            note.hidden = false;
          }
          showConversation();
          scrollDown();
          // the conversation counts in the numbers; a hand-off joins the queue; learning may change
          ["sm-metrics", "sm-tickets", "sm-clusters"].forEach(function (name) {
            if (window.htmx) { htmx.trigger(document.body, name); }
          });
          schedulePoll();
        })
        .catch(function () {
          waiting.remove();
          mine.classList.add("failed");
          err.textContent = label("offline");
          err.hidden = false;
        })
        .then(function () {
          conv.busy = false;
          send.disabled = false;
          form.removeAttribute("aria-busy");
          input.focus();
        });
    });
    document.addEventListener("visibilitychange", function () { if (!document.hidden && conv.timer) { poll(); } });
  }

  function start() {
    var node = document.getElementById("assistant-data");
    if (node) { data = JSON.parse(node.textContent); }
    wire();
    drawChart();
    window.addEventListener("resize", function () { if (chart) { chart.resize(); } });
    tryIt();
    showConversation();
    document.body.setAttribute("data-charts", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
