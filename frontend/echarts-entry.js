// Custom, tree-shaken ECharts build for the shopmind web console.
//
// Only the charts and components the console uses are registered (tree-shakable `echarts/core`
// API), so the overview page stays light on slow rural connections. ./build.sh bundles this into
// src/shopmind/console/static/vendor/echarts.custom.min.js, exposing `window.echarts`.
//
// A template that needs another chart type or component: add it here and re-run ./build.sh
// (ECharts ignores unregistered series with a console warning).

import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import {
  GridComponent,
  TooltipComponent,
  LegendComponent,
  MarkLineComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  LineChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  MarkLineComponent,
  CanvasRenderer,
]);

window.echarts = echarts;
