/**
 * One metric chart: the runs' series overlaid in uPlot (canvas), on a step or
 * time axis, linear or log scale, coloured for the current theme.
 */
import uPlot from 'uplot';

import type { Aligned, Axis } from '../series';

/** Categorical colours that stay distinct on light and dark themes. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

export interface ChartSpec {
  labels: string[];
  data: Aligned;
  axis: Axis;
  log: boolean;
  title: string;
}

/** Draw (or redraw) into `host`; returns the plot so the caller can destroy it. */
export function drawChart(host: HTMLElement, spec: ChartSpec, previous: uPlot | null): uPlot {
  previous?.destroy();
  const ink = cssVar('--jp-ui-font-color1', '#333');
  const grid = cssVar('--jp-border-color2', '#ddd');
  const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const width = Math.max(320, host.clientWidth || 640);
  const options: uPlot.Options = {
    title: spec.title,
    width,
    height: 320,
    scales: {
      x: { time: spec.axis === 'time' },
      y: spec.log ? { distr: 3 } : {}
    },
    axes: [
      { ...axis, label: spec.axis === 'time' ? 'time' : 'step' },
      { ...axis, label: spec.log ? 'value (log)' : 'value' }
    ],
    series: [
      { label: spec.axis },
      ...spec.labels.map((label, i) => ({
        label,
        stroke: PALETTE[i % PALETTE.length],
        width: 1.5,
        spanGaps: true
      }))
    ],
    legend: { show: true },
    cursor: { drag: { x: true, y: false } }
  };
  const plot = new uPlot(options, spec.data as uPlot.AlignedData, host);
  host.dataset.traces = String(spec.labels.length);
  host.dataset.points = String(spec.data[0].length);
  host.dataset.axis = spec.axis;
  host.dataset.scale = spec.log ? 'log' : 'linear';
  return plot;
}
