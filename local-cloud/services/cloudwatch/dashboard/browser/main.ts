import { marked } from 'marked';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { Dashboard, DashboardWidget } from '../body';
import type { WidgetData } from '../widget-data';
import { legendItems, MetricChart, summaryRows, type MetricWidget } from './chart';

/**
 * The local dashboard page: the template's dashboard body laid out on the console's 24-column
 * grid, each metric widget charted from `/dev/dashboard/data` and refreshed every few seconds.
 */
const REFRESH_MS = 10_000;
/** As many requests at once as a browser opens to one host. */
const PARALLEL_REQUESTS = 6;

const range = document.querySelector<HTMLSelectElement>('#range')!;
const period = document.querySelector<HTMLSelectElement>('#period')!;
const status = document.querySelector<HTMLElement>('#status')!;
const grid = document.querySelector<HTMLElement>('#grid')!;
const pageQuery = new URLSearchParams(location.search);
const dashboardName = pageQuery.get('name');
// `?range=300&period=60` opens the page on another range or period (a link to a view).
for (const [select, value] of [[range, pageQuery.get('range')], [period, pageQuery.get('period')]] as const) {
  if (value !== null && [...select.options].some((option) => option.value === value)) select.value = value;
}

async function getJson<T>(path: string, query: Record<string, string> = {}): Promise<T> {
  const parameters = new URLSearchParams({ ...query, ...(dashboardName === null ? {} : { name: dashboardName }) });
  const response = await fetch(`${path}?${parameters}`);
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${(await response.json().catch(() => ({}))).message ?? ''}`);
  return (await response.json()) as T;
}

/** A cell of the grid at the widget's place and size. */
function cell(widget: DashboardWidget, index: number): HTMLElement {
  const element = document.createElement('section');
  element.id = `widget-${index}`;
  element.className = `widget ${widget.type}`;
  element.style.gridColumn = `${widget.x + 1} / span ${widget.width}`;
  element.style.gridRow = `${widget.y + 1} / span ${widget.height}`;
  if (widget.type !== 'text') {
    const title = document.createElement('h2');
    title.id = `widget-${index}-title`;
    title.textContent = widget.title;
    element.setAttribute('aria-labelledby', title.id);
    element.append(title);
  }
  return element;
}

interface Refreshable {
  refresh(): Promise<void>;
}

function metricWidget(widget: MetricWidget, index: number, element: HTMLElement): Refreshable {
  element.classList.toggle('legend-right', widget.legend === 'right');
  const area = document.createElement('div');
  area.className = 'plot';
  area.setAttribute('aria-hidden', 'true');
  const legend = document.createElement('ul');
  legend.className = 'legend';
  legend.hidden = widget.legend === 'hidden';
  // A table does not shrink to a visually hidden box: its wrapper does.
  const summary = document.createElement('div');
  summary.className = 'visually-hidden';
  summary.innerHTML = '<table><caption></caption><thead><tr><th>series</th><th>latest</th><th>maximum</th><th>datapoints</th></tr></thead><tbody></tbody></table>';
  const table = summary.querySelector('table')!;
  table.caption!.textContent = `Values of ${widget.title}`;
  element.append(area, legend, summary);
  const chart = new MetricChart(widget, area);
  return {
    async refresh() {
      try {
        const data = await getJson<WidgetData>('/dev/dashboard/data', { widget: String(index), range: range.value, ...(period.value === '' ? {} : { period: period.value }) });
        chart.show(data);
        legend.replaceChildren(...legendItems(data));
        table.tBodies[0].replaceChildren(...summaryRows(data));
        element.dataset.state = 'loaded';
        element.dataset.period = String(data.periodSeconds);
      } catch (error) {
        element.dataset.state = 'failed';
        legend.replaceChildren(Object.assign(document.createElement('li'), { className: 'not-drawn', textContent: (error as Error).message }));
      }
    },
  };
}

interface AlarmsAnswer {
  alarms: Record<string, { state: string; reason: string }>;
}

function alarmWidget(alarmArns: readonly string[], element: HTMLElement): Refreshable {
  const list = document.createElement('ul');
  list.className = 'alarms';
  element.append(list);
  return {
    async refresh() {
      const { alarms } = (await (await fetch('/dev/alarms')).json()) as AlarmsAnswer;
      list.replaceChildren(
        ...alarmArns.map((arn) => {
          const name = arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length);
          const item = document.createElement('li');
          const state = alarms[name]?.state ?? 'unknown';
          item.className = `alarm-${state.toLowerCase()}`;
          item.title = alarms[name]?.reason ?? '';
          item.textContent = `${state} ${name}`;
          return item;
        }),
      );
      element.dataset.state = 'loaded';
    },
  };
}

function render(dashboard: Dashboard): Refreshable[] {
  const refreshable: Refreshable[] = [];
  grid.replaceChildren(
    ...dashboard.widgets.map((widget, index) => {
      const element = cell(widget, index);
      if (widget.type === 'text') {
        element.classList.toggle('transparent', widget.transparent);
        element.innerHTML = marked.parse(widget.markdown, { async: false });
      } else if (widget.type === 'metric') refreshable.push(metricWidget(widget, index, element));
      else if (widget.type === 'alarm') refreshable.push(alarmWidget(widget.alarmArns, element));
      else element.append(`A ${widget.widgetType} widget: the local dashboard does not draw this type.`);
      return element;
    }),
  );
  return refreshable;
}

/** Refreshes every widget, a few at a time, then says when. */
async function refreshAll(widgets: readonly Refreshable[]): Promise<void> {
  const queue = [...widgets];
  await Promise.all(Array.from({ length: PARALLEL_REQUESTS }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await next.refresh().catch(() => undefined);
  }));
  status.textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}`;
  document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1);
}

async function main(): Promise<void> {
  const dashboard = await getJson<Dashboard & { name: string }>('/dev/dashboard/body');
  document.querySelector('#dashboard-name')!.textContent = dashboard.name;
  document.title = `${dashboard.name} · local cloud`;
  const widgets = render(dashboard);
  let timer: number | undefined;
  let running: Promise<void> | undefined;
  // A change of range or period refreshes at once, after any refresh under way.
  const loop = async () => {
    window.clearTimeout(timer);
    await running;
    running = refreshAll(widgets);
    await running;
    window.clearTimeout(timer);
    timer = window.setTimeout(loop, REFRESH_MS);
  };
  range.addEventListener('change', loop);
  period.addEventListener('change', loop);
  await loop();
}

main().catch((error: Error) => {
  status.textContent = `The dashboard could not be loaded: ${error.message}`;
});
