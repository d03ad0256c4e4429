import { ACCOUNT_ID } from '../account';
import type { AlarmDefinition, AlarmProperties } from './alarm-definitions';
import type { AlarmStateValue } from './alarm-state';

/** CloudWatch names the region in notifications as the console does. */
const REGION_NAMES: Readonly<Record<string, string>> = { 'us-east-1': 'US East (N. Virginia)' };

export interface StateChange {
  readonly oldState: AlarmStateValue;
  readonly newState: AlarmStateValue;
  readonly reason: string;
  /** Epoch ms. */
  readonly time: number;
}

const dimensionsOf = (dimensions: AlarmProperties['Dimensions']) => (dimensions ?? []).map((dimension) => ({ value: dimension.Value, name: dimension.Name }));

/** The notification's `Trigger`: the alarm's metric (or metric math) and rule, as CloudWatch describes them. */
function triggerOf(properties: AlarmProperties): Record<string, unknown> {
  const rule = {
    Period: properties.Period ?? properties.Metrics?.find((query) => query.MetricStat)?.MetricStat?.Period,
    EvaluationPeriods: properties.EvaluationPeriods,
    DatapointsToAlarm: properties.DatapointsToAlarm,
    ComparisonOperator: properties.ComparisonOperator,
    Threshold: properties.Threshold,
    TreatMissingData: properties.TreatMissingData ?? '',
    EvaluateLowSampleCountPercentile: '',
  };
  if (properties.Metrics !== undefined) {
    const metrics = properties.Metrics.map(({ MetricStat, ...query }) => ({
      ...query,
      ...(MetricStat && {
        MetricStat: { ...MetricStat, Metric: { ...MetricStat.Metric, Dimensions: dimensionsOf(MetricStat.Metric.Dimensions) } },
      }),
    }));
    return { Metrics: metrics, ...rule };
  }
  return {
    MetricName: properties.MetricName,
    Namespace: properties.Namespace,
    StatisticType: properties.ExtendedStatistic === undefined ? 'Statistic' : 'ExtendedStatistic',
    Statistic: properties.ExtendedStatistic ?? properties.Statistic?.toUpperCase(),
    Unit: properties.Unit ?? null,
    Dimensions: dimensionsOf(properties.Dimensions),
    ...rule,
  };
}

/**
 * The SNS message CloudWatch publishes to an alarm's actions on a state change: subject
 * `ALARM: "<name>" in <region>` (at most 100 characters, as SNS allows), and the JSON body email
 * and Lambda subscribers receive. `configuredAt`: when the local cloud created the alarm.
 */
export function alarmNotification(alarm: AlarmDefinition, change: StateChange, region: string, configuredAt: number): { subject: string; message: string } {
  const regionName = REGION_NAMES[region] ?? region;
  const subject = `${change.newState}: "${alarm.alarmName}" in ${regionName}`.slice(0, 100);
  const body = {
    AlarmName: alarm.alarmName,
    AlarmDescription: alarm.description ?? null,
    AWSAccountId: ACCOUNT_ID,
    AlarmConfigurationUpdatedTimestamp: new Date(configuredAt).toISOString().replace('Z', '+0000'),
    NewStateValue: change.newState,
    NewStateReason: change.reason,
    StateChangeTime: new Date(change.time).toISOString().replace('Z', '+0000'),
    Region: regionName,
    AlarmArn: alarm.alarmArn,
    OldStateValue: change.oldState,
    OKActions: alarm.okActions,
    AlarmActions: alarm.alarmActions,
    InsufficientDataActions: alarm.insufficientDataActions,
    Trigger: triggerOf(alarm.properties),
  };
  return { subject, message: JSON.stringify(body) };
}
