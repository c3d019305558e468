// Search playground: autocomplete as the merchant types, search by photo, and the analytics chart.
(function () {
  "use strict";
  var data = {};

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // The API's error shape is {"ok": false, "error": "message", ...}; accept {"error": {"message"}} too.
  function errorMessage(body, status) {
    if (body && typeof body.error === "string") { return body.error; }
    if (body && body.error && body.error.message) { return body.error.message; }
    return (data.labels && data.labels.failed ? data.labels.failed : "Failed") + " (HTTP " + status + ")";
  }

  // ---- autocomplete ---------------------------------------------------------------------------
  function autocomplete() {
    var input = document.getElementById("q");
    var list = document.getElementById("suggest-list");
    if (!input || !list) { return; }
    var timer = null;
    var seq = 0;
    var active = -1;
    var items = [];
    var kinds = (data.labels && data.labels.suggestion_kinds) || {};

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      items.forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0) { input.setAttribute("aria-activedescendant", items[i].id); } else { input.removeAttribute("aria-activedescendant"); }
    }
    function choose(text) {
      input.value = text;
      close();
      input.form.submit();
    }
    function show(suggestions) {
      list.innerHTML = "";
      items = suggestions.map(function (s, i) {
        var li = el("li", "ac-item");
        li.id = "suggest-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.text = s.text;
        li.appendChild(el("span", "ac-text", s.text));
        li.appendChild(el("span", "ac-kind", kinds[s.kind] || s.kind));
        // mousedown, not click: it fires before the input's blur closes the list
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(s.text); });
        list.appendChild(li);
        return li;
      });
      active = -1;
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    }
    function fetchSuggestions() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var mine = ++seq;
      fetch("/v1/search/suggest?limit=8&q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) { if (mine === seq) { show(body.suggestions || []); } })
        .catch(function () { if (mine === seq) { close(); } });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (ev) {
      if (list.hidden || !items.length) {
        if (ev.key === "ArrowDown" && input.value.trim()) { fetchSuggestions(); ev.preventDefault(); }
        return;
      }
      if (ev.key === "ArrowDown") {
        highlight((active + 1) % items.length);
        ev.preventDefault();
      } else if (ev.key === "ArrowUp") {
        highlight(active <= 0 ? items.length - 1 : active - 1);
        ev.preventDefault();
      } else if (ev.key === "Enter" && active >= 0) {
        ev.preventDefault();
        choose(items[active].dataset.text);
      } else if (ev.key === "Escape") {
        close();
        ev.preventDefault();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  // ---- search by photo ------------------------------------------------------------------------
  function photo() {
    var form = document.getElementById("photo-form");
    if (!form) { return; }
    var file = document.getElementById("photo-file");
    var preview = document.getElementById("photo-preview");
    var status = document.getElementById("photo-status");
    var error = document.getElementById("photo-error");
    var out = document.getElementById("photo-results");
    var labels = data.labels || {};
    var en = data.lang === "en";
    file.addEventListener("change", function () {
      if (file.files && file.files[0]) {
        if (preview.src) { URL.revokeObjectURL(preview.src); }
        preview.src = URL.createObjectURL(file.files[0]);
        preview.hidden = false;
      }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!file.files || !file.files[0]) { return; }
      var body = new FormData();
      body.append("image", file.files[0]);
      out.innerHTML = "";
      error.hidden = true;
      status.textContent = labels.searching || "…";
      form.setAttribute("aria-busy", "true");
      fetch("/v1/search/image?limit=8", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          return r.json().catch(function () { return null; }).then(function (json) { return { r: r, json: json }; });
        })
        .then(function (res) {
          form.removeAttribute("aria-busy");
          if (!res.r.ok || !res.json) {
            status.textContent = "";
            error.textContent = errorMessage(res.json, res.r.status);
            error.hidden = false;
            return;
          }
          var hits = res.json.hits || [];
          status.textContent = hits.length
            ? (labels.found || "") + " · " + res.json.took_ms + " ms"
            : (labels.nothing || "");
          hits.forEach(function (h) {
            var li = el("li");
            li.dataset.sku = h.sku;
            li.appendChild(el("span", "photo-title", en && h.title_en ? h.title_en : h.title));
            li.appendChild(document.createTextNode(" "));
            li.appendChild(el("span", "muted", (h.category || "") + (h.price !== null && h.price !== undefined ? " · " + h.price : "")));
            li.appendChild(document.createTextNode(" "));
            li.appendChild(el("span", "similarity", (labels.similarity || "") + " " + Number(h.similarity).toFixed(3)));
            out.appendChild(li);
          });
        })
        .catch(function (e) {
          form.removeAttribute("aria-busy");
          status.textContent = "";
          error.textContent = (labels.failed || "Failed") + ": " + e;
          error.hidden = false;
        });
    });
  }

  // ---- analytics chart ------------------------------------------------------------------------
  function chart() {
    var node = document.getElementById("chart-top-queries");
    var rows = data.top_queries || [];
    if (!node || !window.echarts || !rows.length) { return; }
    var labels = data.labels || {};
    var c = echarts.init(node);
    c.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 50, right: 50, top: 20, bottom: 90 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.query; }),
               axisLabel: { rotate: 35, interval: 0, width: 90, overflow: "truncate" } },
      yAxis: [
        { type: "value", name: labels.searches, minInterval: 1 },
        { type: "value", name: labels.ctr, min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }
      ],
      series: [
        { name: labels.searches, type: "bar", data: rows.map(function (r) { return r.searches; }) },
        { name: labels.ctr, type: "line", yAxisIndex: 1, showSymbol: true, symbolSize: 6,
          tooltip: { valueFormatter: function (v) { return v + "%"; } },
          data: rows.map(function (r) { return +(r.click_through_rate * 100).toFixed(1); }) }
      ]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }

  function start() {
    var node = document.getElementById("search-data");
    if (node) { data = JSON.parse(node.textContent); }
    autocomplete();
    photo();
    chart();
    document.body.setAttribute("data-charts", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
