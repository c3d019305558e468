// Model-quality charts: feature importance of the ranker, and quality by region.
(function () {
  "use strict";
  function bars(id, labels, values) {
    var node = document.getElementById(id);
    if (!node || !labels.length) { return; }
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 120, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: labels },
      series: [{ type: "bar", data: values }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function draw() {
    var node = document.getElementById("rec-data");
    if (!node || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    // tojson sorts keys by name: order by importance here.
    var imp = Object.keys(data.importance);
    imp.sort(function (a, b) { return data.importance[b] - data.importance[a]; });
    imp = imp.slice(0, 12).reverse();
    bars("chart-importance", imp, imp.map(function (k) { return data.importance[k]; }));
    var regions = Object.keys(data.regions).filter(function (k) { return data.regions[k].n_users >= 5; });
    regions.sort(function (a, b) { return (data.regions[a]["ndcg@10"] || 0) - (data.regions[b]["ndcg@10"] || 0); });
    bars("chart-regions", regions, regions.map(function (k) { return data.regions[k]["ndcg@10"] || 0; }));
    document.body.setAttribute("data-charts", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
