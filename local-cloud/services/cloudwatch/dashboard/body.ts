import { z } from 'zod';
import { parseStatistic, type Statistic } from '../statistics';

/**
 * A CloudWatch dashboard body (the `DashboardBody` JSON of `AWS::CloudWatch::Dashboard`) read into
 * what the local page draws: widgets on the console's 24-column grid, and for each metric widget
 * the queries its `metrics` array makes once its shorthand is expanded, with the console's
 * defaults filled in (statistic Average, period 300 s, left axis, metrics labelled by name).
 */

export type YAxisSide = 'left' | 'right';

interface QueryDisplay {
  /** What the series is called: its `id` in expressions, `m1`/`e1`… by position when the body gives none. */
  readonly id: string;
  readonly label: string;
  /** False for a metric that only feeds an expression. */
  readonly visible: boolean;
  readonly yAxis: YAxisSide;
  readonly color?: string;
  readonly periodSeconds: number;
}

export interface MetricQuery extends QueryDisplay {
  readonly kind: 'metric';
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
}

export interface ExpressionQuery extends QueryDisplay {
  readonly kind: 'expression';
  readonly expression: string;
}

export type WidgetQuery = MetricQuery | ExpressionQuery;

export interface HorizontalAnnotation {
  readonly value: number;
  readonly label?: string;
  readonly yAxis: YAxisSide;
  readonly color?: string;
}

export interface AxisRange {
  readonly min?: number;
  readonly max?: number;
  readonly label?: string;
}

interface Placement {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export type DashboardWidget = Placement &
  (
    | { readonly type: 'text'; readonly markdown: string; readonly transparent: boolean }
    | {
        readonly type: 'metric';
        readonly title: string;
        readonly view: 'timeSeries' | 'singleValue' | 'bar' | 'pie' | 'gauge';
        readonly stacked: boolean;
        readonly queries: readonly WidgetQuery[];
        readonly annotations: readonly HorizontalAnnotation[];
        readonly yAxis: { readonly left?: AxisRange; readonly right?: AxisRange };
        readonly legend: 'bottom' | 'right' | 'hidden';
      }
    | { readonly type: 'alarm'; readonly title: string; readonly alarmArns: readonly string[] }
    /** A widget type the local page does not draw (log queries, custom widgets): shown as a named placeholder. */
    | { readonly type: 'unsupported'; readonly title: string; readonly widgetType: string }
  );

export interface Dashboard {
  /** The body's time range, e.g. `-PT8H`. */
  readonly start?: string;
  readonly widgets: readonly DashboardWidget[];
}

/** The console's defaults for a metric widget that names no statistic or period. */
const DEFAULT_STATISTIC = 'Average';
const DEFAULT_PERIOD_SECONDS = 300;

export class InvalidDashboardBody extends Error {}

const side = z.enum(['left', 'right']);
const renderingOptions = z.looseObject({
  id: z.string().optional(),
  label: z.string().optional(),
  stat: z.string().optional(),
  period: z.number().int().positive().optional(),
  visible: z.boolean().optional(),
  yAxis: side.optional(),
  color: z.string().optional(),
  expression: z.string().optional(),
});
type RenderingOptions = z.infer<typeof renderingOptions>;
const axis = z.looseObject({ min: z.number().optional(), max: z.number().optional(), label: z.string().optional() });
const widgetSchema = z.looseObject({
  type: z.string(),
  x: z.number().int().min(0).max(23).optional(),
  y: z.number().int().min(0).optional(),
  width: z.number().int().min(1).max(24).default(6),
  height: z.number().int().min(1).max(1000).default(6),
  properties: z.looseObject({}).default({}),
});
const metricProperties = z.looseObject({
  title: z.string().default(''),
  view: z.enum(['timeSeries', 'singleValue', 'bar', 'pie', 'gauge']).default('timeSeries'),
  stacked: z.boolean().default(false),
  stat: z.string().default(DEFAULT_STATISTIC),
  period: z.number().int().positive().default(DEFAULT_PERIOD_SECONDS),
  metrics: z.array(z.array(z.union([z.string(), renderingOptions]))).default([]),
  annotations: z.looseObject({ horizontal: z.array(z.looseObject({ value: z.number(), label: z.string().optional(), yAxis: side.optional(), color: z.string().optional() })).optional() }).optional(),
  yAxis: z.looseObject({ left: axis.optional(), right: axis.optional() }).optional(),
  legend: z.looseObject({ position: z.enum(['bottom', 'right', 'hidden']) }).optional(),
});
const bodySchema = z.looseObject({ start: z.string().optional(), widgets: z.array(widgetSchema).max(500) });

/** Reads a dashboard body, or throws `InvalidDashboardBody` saying which widget or metric is wrong. */
export function parseDashboardBody(text: string): Dashboard {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidDashboardBody(`the dashboard body is not JSON: ${(error as Error).message}`);
  }
  const body = bodySchema.safeParse(json);
  if (!body.success) throw new InvalidDashboardBody(`the dashboard body is not one CloudWatch accepts: ${z.prettifyError(body.error)}`);
  let nextY = 0;
  const widgets = body.data.widgets.map((widget, index) => {
    // A widget without a position goes below the ones before it, as the console places it.
    const placement = { x: widget.x ?? 0, y: widget.y ?? nextY, width: Math.min(widget.width, 24 - (widget.x ?? 0)), height: widget.height };
    nextY = Math.max(nextY, placement.y + placement.height);
    try {
      return { ...placement, ...widgetContent(widget.type, widget.properties) } as DashboardWidget;
    } catch (error) {
      throw new InvalidDashboardBody(`widget ${index} (${widget.type}): ${(error as Error).message}`);
    }
  });
  return { start: body.data.start, widgets };
}

function widgetContent(type: string, properties: Record<string, unknown>) {
  const title = typeof properties.title === 'string' ? properties.title : '';
  switch (type) {
    case 'text': {
      const text = z.looseObject({ markdown: z.string(), background: z.enum(['solid', 'transparent']).optional() }).parse(properties);
      return { type, markdown: text.markdown, transparent: text.background === 'transparent' };
    }
    case 'alarm':
      return { type, title, alarmArns: z.looseObject({ alarms: z.array(z.string()) }).parse(properties).alarms };
    case 'metric': {
      const metric = metricProperties.parse(properties);
      return {
        type,
        title: metric.title,
        view: metric.view,
        stacked: metric.stacked,
        queries: expandMetrics(metric.metrics, { statistic: metric.stat, periodSeconds: metric.period }),
        annotations: (metric.annotations?.horizontal ?? []).map(({ value, label, yAxis, color }) => ({ value, label, yAxis: yAxis ?? 'left', color })),
        yAxis: { left: metric.yAxis?.left, right: metric.yAxis?.right },
        legend: metric.legend?.position ?? 'bottom',
      };
    }
    default:
      return { type: 'unsupported', title, widgetType: type };
  }
}

type MetricRow = ReadonlyArray<string | RenderingOptions>;

/**
 * The queries of a `metrics` array. A row is `[namespace, metricName, dimensionName, dimensionValue, …, {options}]`
 * or `[{expression, …}]`. In a metric row, `"."` repeats the previous metric row's value at that
 * position, and `"..."` stands for as many of the previous row's values as the row leaves out
 * (`["...", {"stat": "p99"}]` is the same metric with another statistic).
 */
export function expandMetrics(rows: readonly MetricRow[], defaults: { statistic: string; periodSeconds: number }): WidgetQuery[] {
  let previous: string[] | undefined;
  return rows.map((row, index) => {
    const last = row[row.length - 1];
    const options: RenderingOptions = typeof last === 'object' ? last : {};
    const values = row.filter((item): item is string => typeof item === 'string');
    if (row.slice(0, -1).some((item) => typeof item === 'object')) {
      throw new Error(`metric row ${index}: the options object must be the row's last item`);
    }
    const display = (id: string) => ({
      id,
      visible: options.visible ?? true,
      yAxis: options.yAxis ?? 'left',
      color: options.color,
      periodSeconds: options.period ?? defaults.periodSeconds,
    });
    if (options.expression !== undefined) {
      if (values.length > 0) throw new Error(`metric row ${index}: an expression row has only its options object`);
      return { kind: 'expression', expression: options.expression, label: options.label ?? options.expression, ...display(options.id ?? `e${index + 1}`) };
    }
    const expanded = expandShorthand(values, previous, index);
    previous = expanded;
    const [namespace, metricName, ...dimensionPairs] = expanded;
    if (namespace === undefined || metricName === undefined || dimensionPairs.length % 2 !== 0) {
      throw new Error(`metric row ${index}: expected [namespace, metricName, name, value, …], got ${JSON.stringify(expanded)}`);
    }
    const dimensions: Record<string, string> = {};
    for (let pair = 0; pair < dimensionPairs.length; pair += 2) dimensions[dimensionPairs[pair]] = dimensionPairs[pair + 1];
    return {
      kind: 'metric',
      namespace,
      metricName,
      dimensions,
      statistic: parseStatistic(options.stat ?? defaults.statistic),
      label: options.label ?? metricName,
      ...display(options.id ?? `m${index + 1}`),
    };
  });
}

function expandShorthand(values: readonly string[], previous: readonly string[] | undefined, index: number): string[] {
  const needsPrevious = values.some((value) => value === '.' || value === '...');
  if (!needsPrevious) return [...values];
  if (previous === undefined) throw new Error(`metric row ${index}: "." and "..." repeat the previous metric row, and there is none`);
  const ellipsis = values.indexOf('...');
  if (ellipsis !== values.lastIndexOf('...')) throw new Error(`metric row ${index}: "..." may appear once`);
  const positional =
    ellipsis === -1
      ? [...values]
      : [...values.slice(0, ellipsis), ...previous.slice(ellipsis, Math.max(ellipsis, previous.length - (values.length - ellipsis - 1))), ...values.slice(ellipsis + 1)];
  return positional.map((value, position) => {
    if (value !== '.') return value;
    if (position >= previous.length) throw new Error(`metric row ${index}: "." at ${position}, where the previous metric row has nothing`);
    return previous[position];
  });
}
