/**
 * One metric chart: the runs' series overlaid in uPlot (canvas), on a step or
 * time axis, linear or log scale, coloured for the current theme.
 */
import uPlot from 'uplot';

import type { Aligned, Axis } from './series';

/** Series colours: JupyterLab's own theme colours, so they suit light and dark themes alike. */
const PALETTE = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-error-color1',
  '--jp-accent-color1',
  '--jp-info-color1',
  '--jp-mirror-editor-keyword-color',
  '--jp-mirror-editor-string-color'
];

function cssVar(host: HTMLElement, name: string, fallback: string): string {
  const value = getComputedStyle(host.isConnected ? host : document.body).getPropertyValue(name).trim();
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
  const ink = cssVar(host, '--jp-ui-font-color1', 'gray');
  const grid = cssVar(host, '--jp-border-color2', 'gray');
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
        stroke: cssVar(host, PALETTE[i % PALETTE.length], 'gray'),
        width: 1.5,
        spanGaps: true
      }))
    ],
    legend: { show: true, live: true },
    // the x range on screen, for tests and for anyone reading the DOM
    hooks: {
      setScale: [
        (u: uPlot, key: string) => {
          if (key === 'x') {
            host.dataset.xMin = String(u.scales.x.min);
            host.dataset.xMax = String(u.scales.x.max);
          }
        }
      ]
    },
    // drag a range to zoom in (double-click zooms out); hovering shows each run's value in the legend
    cursor: { drag: { x: true, y: false }, focus: { prox: 16 } }
  };
  const plot = new uPlot(options, spec.data as uPlot.AlignedData, host);
  host.dataset.traces = String(spec.labels.length);
  host.dataset.points = String(spec.data[0].length);
  host.dataset.axis = spec.axis;
  host.dataset.scale = spec.log ? 'log' : 'linear';
  return plot;
}
