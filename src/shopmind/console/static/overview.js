// Draws the overview charts from the JSON the page embeds (no extra request on slow links).
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("overview-data");
    if (!node || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    var weeks = echarts.init(document.getElementById("chart-weeks"));
    weeks.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [data.labels.gmv, data.labels.orders] },
      grid: { left: 60, right: 50, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.weeks.map(function (w) { return w.week; }) },
      yAxis: [{ type: "value" }, { type: "value", splitLine: { show: false } }],
      series: [
        { name: data.labels.gmv, type: "line", smooth: true, showSymbol: false, areaStyle: { opacity: 0.15 },
          data: data.weeks.map(function (w) { return w.gmv; }) },
        { name: data.labels.orders, type: "bar", yAxisIndex: 1, itemStyle: { opacity: 0.5 },
          data: data.weeks.map(function (w) { return w.orders; }) }
      ]
    });
    var regions = echarts.init(document.getElementById("chart-regions"));
    var r = data.regions.slice().reverse();
    regions.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 80, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: r.map(function (x) { return x.region; }) },
      series: [{ name: data.labels.gmv, type: "bar", data: r.map(function (x) { return x.gmv; }) }]
    });
    window.addEventListener("resize", function () { weeks.resize(); regions.resize(); });
    document.body.setAttribute("data-charts", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
