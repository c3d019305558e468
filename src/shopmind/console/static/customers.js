// Segment charts: sizes and revenue share now, and sizes over the refreshes kept.
(function () {
  "use strict";
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var c = echarts.init(node);
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  function draw() {
    var node = document.getElementById("customers-data");
    if (!node || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    var names = data.names;
    var segs = data.segments;
    var labels = segs.map(function (s) { return names[s.segment] || s.segment; });
    var total = segs.reduce(function (a, s) { return a + s.customers; }, 0) || 1;
    var en = document.documentElement.lang === "en";
    chart("chart-segments", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v + "%"; } },
      legend: { bottom: 0 },
      grid: { left: 110, right: 30, top: 10, bottom: 50 },
      xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: labels.slice().reverse() },
      series: [
        { name: en ? "Share of customers" : "客户占比", type: "bar",
          data: segs.map(function (s) { return +(100 * s.customers / total).toFixed(1); }).reverse() },
        { name: en ? "Share of revenue" : "收入占比", type: "bar",
          data: segs.map(function (s) { return +(s.revenue_share * 100).toFixed(1); }).reverse() }
      ]
    });
    var history = data.history || [];
    var dates = history.map(function (h) { return h.as_of.slice(0, 16).replace("T", " "); });
    var ids = segs.map(function (s) { return s.segment; });
    chart("chart-history", {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 50, right: 20, top: 10, bottom: 50 },
      xAxis: { type: "category", data: dates },
      yAxis: { type: "value" },
      series: ids.map(function (id) {
        return { name: names[id] || id, type: "line", stack: "all", areaStyle: {}, showSymbol: true, symbolSize: 6,
          data: history.map(function (h) { return h.customers[id] || 0; }) };
      })
    });
    document.body.setAttribute("data-charts", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
