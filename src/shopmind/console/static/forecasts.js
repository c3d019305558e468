// History, forecast and its 80% / 95% intervals for the chosen product (its first series).
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("forecast-data");
    var el = document.getElementById("chart-forecast");
    if (!node || !el || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    if (!data.forecast || !data.forecast.series.length) { return; }
    var s = data.forecast.series[0];
    var L = data.labels;
    var dates = s.history.map(function (p) { return p.ds; }).concat(s.forecast.map(function (p) { return p.ds; }));
    var nh = s.history.length;
    function pad(values) { var out = []; for (var i = 0; i < nh; i++) { out.push(null); } return out.concat(values); }
    function col(name) { return s.forecast.map(function (p) { return p[name]; }); }
    function diff(hi, lo) { return s.forecast.map(function (p) { return p[hi] === null || p[lo] === null ? null : p[hi] - p[lo]; }); }
    var history = s.history.map(function (p) { return p.y; });
    // The bands are stacked areas: an invisible base at the lower bound, then the band's width.
    var band = function (name, lo, hi, stack, opacity) {
      return [
        { name: name, type: "line", stack: stack, data: pad(col(lo)), lineStyle: { opacity: 0 }, symbol: "none", silent: true,
          itemStyle: { color: "#2e7d32", opacity: opacity } },
        { name: name, type: "line", stack: stack, data: pad(diff(hi, lo)), lineStyle: { opacity: 0 }, symbol: "none",
          areaStyle: { color: "#2e7d32", opacity: opacity }, itemStyle: { color: "#2e7d32", opacity: opacity } }
      ];
    };
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", formatter: function (items) {
        var i = items[0].dataIndex, lines = [items[0].axisValue];
        if (i < nh) { lines.push(L.history + ": " + s.history[i].y); return lines.join("<br>"); }
        var p = s.forecast[i - nh], r = function (v) { return v === null ? "—" : (+v).toFixed(1); };
        lines.push(L.forecast + ": " + r(p.mean));
        lines.push(L.band80 + ": " + r(p.lo_80) + " – " + r(p.hi_80));
        lines.push(L.band95 + ": " + r(p.lo_95) + " – " + r(p.hi_95));
        return lines.join("<br>");
      } },
      legend: { bottom: 0, data: [L.history, L.forecast, L.band80, L.band95] },
      grid: { left: 50, right: 20, top: 10, bottom: 50 },
      xAxis: { type: "category", data: dates },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: L.history, type: "line", data: history.concat(s.forecast.map(function () { return null; })), symbol: "none",
          lineStyle: { color: "#1f2933" }, itemStyle: { color: "#1f2933" } },
        { name: L.forecast, type: "line", data: pad(col("mean")), symbol: "none",
          lineStyle: { color: "#2e7d32", type: "dashed", width: 2 }, itemStyle: { color: "#2e7d32" } }
      ].concat(band(L.band95, "lo_95", "hi_95", "b95", 0.15)).concat(band(L.band80, "lo_80", "hi_80", "b80", 0.3))
    });
    window.addEventListener("resize", function () { chart.resize(); });
    document.body.setAttribute("data-charts", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
