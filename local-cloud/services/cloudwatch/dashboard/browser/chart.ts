import uPlot from 'uplot';
import type { DashboardWidget } from '../body';
import type { SeriesData, WidgetData } from '../widget-data';

export type MetricWidget = Extract<DashboardWidget, { type: 'metric' }>;

/** The console's series colours, in its order. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const colorOf = (series: SeriesData, index: number) => series.color ?? PALETTE[index % PALETTE.length];

const numberFormat = new Intl.NumberFormat('en', { maximumSignificantDigits: 4 });
export const formatValue = (value: number | null | undefined) => (value === null || value === undefined ? '–' : numberFormat.format(value));

/** Times on the x axis as the console writes them in a short range: 24-hour, seconds only when the ticks are closer than a minute. */
function timeLabels(_u: uPlot, splits: number[], _axis: number, _space: number, increment: number): string[] {
  return splits.map((split) => new Date(split * 1000).toLocaleTimeString('en-GB', increment < 60 ? {} : { hour: '2-digit', minute: '2-digit' }));
}

/** At most about six times on an axis, at least 50 px apart. */
const timeSpace = (_u: uPlot, _axis: number, _min: number, _max: number, plotWidth: number) => Math.max(50, plotWidth / 6);

/** Draws the template's horizontal annotations (alarm thresholds) as dashed lines where they fall inside the axis. */
function annotationsPlugin(widget: MetricWidget): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const { ctx, bbox } = u;
        for (const annotation of widget.annotations) {
          const scale = annotation.yAxis === 'right' ? 'right' : 'y';
          const { min, max } = u.scales[scale];
          if (min === undefined || max === undefined || annotation.value < min || annotation.value > max) continue;
          const y = Math.round(u.valToPos(annotation.value, scale, true));
          ctx.save();
          ctx.strokeStyle = annotation.color ?? '#d62728';
          ctx.setLineDash([4, 4]);
          ctx.beginPath();
          ctx.moveTo(bbox.left, y);
          ctx.lineTo(bbox.left + bbox.width, y);
          ctx.stroke();
          ctx.restore();
        }
      },
    },
  };
}

/** A y scale honouring the widget's axis settings; an axis without data shows 0 to 1 rather than nothing. */
function yRange(axis: MetricWidget['yAxis']['left']): uPlot.Scale.Range {
  return (_u, dataMin, dataMax) => {
    const min = axis?.min ?? Math.min(0, dataMin ?? 0);
    const max = axis?.max ?? (dataMax === null || dataMax === undefined || dataMax <= min ? min + 1 : dataMax * 1.1);
    return [min, max];
  };
}

/** Sums each series onto the ones before it, for a stacked area view. */
function stack(series: readonly SeriesData[]): Array<Array<number | null>> {
  const totals: number[] = [];
  return series.map((entry) =>
    entry.values.map((value, index) => {
      totals[index] = (totals[index] ?? 0) + (value ?? 0);
      return value === null ? null : totals[index];
    }),
  );
}

/**
 * One metric widget's chart: uPlot lines (or stacked areas) on the left and right axes, with the
 * template's annotations; or the latest value of each series for a number widget. It is redrawn
 * with every refresh and resized with its cell.
 */
export class MetricChart {
  private plot?: uPlot;
  private plotKey = '';
  private readonly observer: ResizeObserver;

  constructor(
    private readonly widget: MetricWidget,
    private readonly area: HTMLElement,
  ) {
    this.observer = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.observer.observe(area);
  }

  private size() {
    return { width: Math.max(120, this.area.clientWidth), height: Math.max(60, this.area.clientHeight) };
  }

  show(data: WidgetData): void {
    // As the console says it, over an empty chart, when no series has a datapoint in the range.
    this.area.parentElement?.classList.toggle('no-data', data.series.every((series) => series.values.every((value) => value === null)));
    if (this.widget.view === 'singleValue') return this.showNumbers(data);
    const visible = data.series.filter((series) => series.error === undefined);
    const values = this.widget.stacked ? stack(visible) : visible.map((series) => [...series.values]);
    const key = JSON.stringify(visible.map((series) => [series.id, series.label, series.yAxis]));
    if (this.plot !== undefined && key === this.plotKey) {
      this.plot.setData([[...data.timestamps], ...values]);
      return;
    }
    this.plot?.destroy();
    this.plotKey = key;
    const usesRight = visible.some((series) => series.yAxis === 'right');
    const options: uPlot.Options = {
      ...this.size(),
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: yRange(this.widget.yAxis.left) }, right: { range: yRange(this.widget.yAxis.right) } },
      axes: [
        { stroke: '#545b64', grid: { stroke: '#eaeded' }, ticks: { show: false }, space: timeSpace, values: timeLabels },
        { scale: 'y', label: this.widget.yAxis.left?.label, stroke: '#545b64', grid: { stroke: '#eaeded' }, ticks: { show: false }, size: 44 },
        ...(usesRight ? [{ scale: 'right', side: 1, label: this.widget.yAxis.right?.label, stroke: '#545b64', grid: { show: false }, size: 44 }] : []),
      ],
      series: [
        {},
        ...visible.map((series, index) => ({
          label: series.label,
          scale: series.yAxis === 'right' ? 'right' : 'y',
          stroke: colorOf(series, index),
          width: 1.5,
          fill: this.widget.stacked ? `${colorOf(series, index)}55` : undefined,
          // CloudWatch's line charts join the datapoints on either side of a period without one.
          spanGaps: true,
          points: { show: series.values.filter((value) => value !== null).length < 40, size: 5 },
        })),
      ],
      plugins: [annotationsPlugin(this.widget)],
    };
    this.area.replaceChildren();
    this.plot = new uPlot(options, [[...data.timestamps], ...values], this.area);
  }

  private showNumbers(data: WidgetData): void {
    this.area.replaceChildren(
      ...data.series.map((series, index) => {
        const cell = document.createElement('div');
        cell.className = 'single-value';
        const latest = [...series.values].reverse().find((value) => value !== null);
        cell.innerHTML = '<span class="number"></span><span class="label"></span>';
        (cell.firstElementChild as HTMLElement).textContent = formatValue(latest);
        (cell.firstElementChild as HTMLElement).style.color = colorOf(series, index);
        (cell.lastElementChild as HTMLElement).textContent = series.label;
        return cell;
      }),
    );
  }
}

/** The legend under (or beside) a chart: each series' colour and label, and why a series is not drawn. */
export function legendItems(data: WidgetData): HTMLElement[] {
  let drawn = 0;
  return data.series.map((series) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    if (series.error === undefined) swatch.style.background = colorOf(series, drawn++);
    else item.className = 'not-drawn';
    item.append(swatch, series.error === undefined ? series.label : `${series.label.trim() || series.id}: ${series.error}`);
    return item;
  });
}

/** What the chart shows, as a table for screen readers (and tests): each series' latest and largest value and its datapoints. */
export function summaryRows(data: WidgetData): HTMLTableRowElement[] {
  return data.series.map((series) => {
    const present = series.values.filter((value): value is number => value !== null);
    const row = document.createElement('tr');
    row.dataset.series = series.id;
    for (const text of [series.label, formatValue(present.at(-1)), formatValue(present.length > 0 ? Math.max(...present) : null), String(present.length)]) {
      const cell = document.createElement(row.childElementCount === 0 ? 'th' : 'td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
}
