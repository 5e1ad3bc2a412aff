// PNG charts for replies and the CLI, drawn in-process with @napi-rs/canvas.
export { cascadeAlt, cascadeChart, cascadeTitle } from './cascade.js';
export type { ChartImage } from './draw.js';
export { marketAlt, marketChart, marketTitle } from './market.js';
export { chartFilename, createChartRenderer } from './renderer.js';
export { CHART_THEMES, chartTheme } from './theme.js';
export type { ChartTheme, ChartThemeName } from './theme.js';
