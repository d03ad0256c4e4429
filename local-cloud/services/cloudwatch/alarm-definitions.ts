import { isComparisonOperator, type AlarmRule, type TreatMissingData } from './alarm-state';
import { compileExpression, UnsupportedExpression, type CompiledExpression } from './metric-math';
import type { MetricIdentity } from './metric-store';
import { parseStatistic, type Statistic } from './statistics';

/** A metric and the statistic an alarm reads of it, per period. */
export interface MetricStat {
  readonly metric: MetricIdentity;
  readonly statistic: Statistic;
  readonly periodSeconds: number;
}

/** What an alarm watches: one metric, or metric math over several (the one `ReturnData` expression). */
export type AlarmSource =
  | { readonly kind: 'metric'; readonly stat: MetricStat }
  | { readonly kind: 'math'; readonly expression: CompiledExpression; readonly periodSeconds: number; readonly stats: ReadonlyMap<string, MetricStat> };

/** An `AWS::CloudWatch::Alarm` of the template, checked and ready to evaluate. */
export interface AlarmDefinition {
  readonly logicalId: string;
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly description?: string;
  readonly actionsEnabled: boolean;
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
  readonly insufficientDataActions: readonly string[];
  readonly rule: AlarmRule;
  readonly source: AlarmSource;
  /** The template's properties, resolved: what a notification's `Trigger` describes. */
  readonly properties: AlarmProperties;
}

interface TemplateMetric {
  Namespace: string;
  MetricName: string;
  Dimensions?: Array<{ Name: string; Value: string }>;
}

/** The properties of an `AWS::CloudWatch::Alarm`, after intrinsics are resolved. */
export interface AlarmProperties extends Partial<TemplateMetric> {
  AlarmName?: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
  ComparisonOperator: string;
  Threshold?: number;
  ThresholdMetricId?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData?: TreatMissingData;
  Statistic?: string;
  ExtendedStatistic?: string;
  Period?: number;
  Unit?: string;
  Metrics?: Array<{
    Id: string;
    Expression?: string;
    Period?: number;
    ReturnData?: boolean;
    MetricStat?: { Metric: TemplateMetric; Period: number; Stat: string; Unit?: string };
  }>;
}

/** An alarm the local cloud cannot evaluate faithfully: the local cloud refuses to start rather than ignore it. */
export class UnsupportedAlarm extends Error {}

const TREATMENTS = new Set(['breaching', 'notBreaching', 'ignore', 'missing']);

function identityOf(metric: TemplateMetric): MetricIdentity {
  return {
    namespace: metric.Namespace,
    metricName: metric.MetricName,
    dimensions: Object.fromEntries((metric.Dimensions ?? []).map((dimension) => [dimension.Name, String(dimension.Value)])),
  };
}

function sourceOf(name: string, properties: AlarmProperties): AlarmSource {
  if (properties.Metrics === undefined) {
    const statistic = properties.Statistic ?? properties.ExtendedStatistic;
    if (properties.Namespace === undefined || properties.MetricName === undefined || statistic === undefined || properties.Period === undefined) {
      throw new UnsupportedAlarm(`alarm ${name} names neither a metric with a statistic and period, nor Metrics`);
    }
    const metric = { Namespace: properties.Namespace, MetricName: properties.MetricName, Dimensions: properties.Dimensions };
    return { kind: 'metric', stat: { metric: identityOf(metric), statistic: parseStatistic(statistic), periodSeconds: properties.Period } };
  }
  const returned = properties.Metrics.filter((query) => query.ReturnData ?? true);
  if (returned.length !== 1) throw new UnsupportedAlarm(`alarm ${name} must return exactly one of its Metrics, and returns ${returned.length}`);
  const stats = new Map<string, MetricStat>();
  for (const query of properties.Metrics) {
    if (query.MetricStat) {
      const { Metric, Period, Stat } = query.MetricStat;
      stats.set(query.Id, { metric: identityOf(Metric), statistic: parseStatistic(Stat), periodSeconds: Period });
    }
  }
  const [result] = returned;
  if (result.MetricStat) return { kind: 'metric', stat: stats.get(result.Id)! };
  if (result.Expression === undefined) throw new UnsupportedAlarm(`alarm ${name}: metric ${result.Id} has neither MetricStat nor Expression`);
  let expression: CompiledExpression;
  try {
    expression = compileExpression(result.Expression);
  } catch (error) {
    if (error instanceof UnsupportedExpression) throw new UnsupportedAlarm(`alarm ${name}: the local cloud cannot evaluate ${error.message}`);
    throw error;
  }
  for (const id of expression.ids) {
    if (!stats.has(id)) throw new UnsupportedAlarm(`alarm ${name}: its expression reads ${id}, which is not one of its MetricStat metrics`);
  }
  const periodSeconds = result.Period ?? Math.max(...[...stats.values()].map((stat) => stat.periodSeconds));
  return { kind: 'math', expression, periodSeconds, stats };
}

/**
 * Reads one alarm of the template, refusing what it cannot evaluate as CloudWatch would (anomaly
 * detection bands, other math functions, statistics it does not compute). Alarms on AWS/DynamoDB
 * metrics ignore missing data whatever they say, as CloudWatch documents for that namespace.
 */
export function alarmDefinitionOf(logicalId: string, alarmName: string, alarmArn: string, properties: AlarmProperties): AlarmDefinition {
  if (properties.ThresholdMetricId !== undefined || properties.Threshold === undefined) {
    throw new UnsupportedAlarm(`alarm ${alarmName} compares with an anomaly detection band; the local cloud evaluates static thresholds only`);
  }
  if (!isComparisonOperator(properties.ComparisonOperator)) {
    throw new UnsupportedAlarm(`alarm ${alarmName}: ${properties.ComparisonOperator} is not a static-threshold comparison`);
  }
  const treatMissingData = properties.TreatMissingData ?? 'missing';
  if (!TREATMENTS.has(treatMissingData)) throw new UnsupportedAlarm(`alarm ${alarmName}: TreatMissingData ${treatMissingData} is not one of CloudWatch's`);
  let source: AlarmSource;
  try {
    source = sourceOf(alarmName, properties);
  } catch (error) {
    if (error instanceof UnsupportedAlarm) throw error;
    throw new UnsupportedAlarm(`alarm ${alarmName}: ${(error as Error).message}`);
  }
  const namespaces = source.kind === 'metric' ? [source.stat.metric.namespace] : [...source.stats.values()].map((stat) => stat.metric.namespace);
  const rule: AlarmRule = {
    comparisonOperator: properties.ComparisonOperator,
    threshold: properties.Threshold,
    evaluationPeriods: properties.EvaluationPeriods,
    datapointsToAlarm: properties.DatapointsToAlarm ?? properties.EvaluationPeriods,
    treatMissingData: namespaces.includes('AWS/DynamoDB') ? 'ignore' : treatMissingData,
  };
  return {
    logicalId,
    alarmName,
    alarmArn,
    description: properties.AlarmDescription,
    actionsEnabled: properties.ActionsEnabled ?? true,
    alarmActions: properties.AlarmActions ?? [],
    okActions: properties.OKActions ?? [],
    insufficientDataActions: properties.InsufficientDataActions ?? [],
    rule,
    source,
    properties,
  };
}
