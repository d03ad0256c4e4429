export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

const COMPARISONS = {
  GreaterThanOrEqualToThreshold: { test: (value: number, threshold: number) => value >= threshold, text: 'greater than or equal to' },
  GreaterThanThreshold: { test: (value: number, threshold: number) => value > threshold, text: 'greater than' },
  LessThanThreshold: { test: (value: number, threshold: number) => value < threshold, text: 'less than' },
  LessThanOrEqualToThreshold: { test: (value: number, threshold: number) => value <= threshold, text: 'less than or equal to' },
} as const;

export type ComparisonOperator = keyof typeof COMPARISONS;

export function isComparisonOperator(name: string): name is ComparisonOperator {
  return Object.hasOwn(COMPARISONS, name);
}

/** What decides an alarm's state from its datapoints. */
export interface AlarmRule {
  readonly comparisonOperator: ComparisonOperator;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** M of "M out of N"; N (`evaluationPeriods`) when the template leaves it out. */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
}

export interface Evaluation {
  /** The state the alarm is in after this evaluation (its current one when nothing decides otherwise). */
  readonly state: AlarmStateValue;
  readonly reason: string;
}

/** `30/11/26 11:10:00`, as CloudWatch writes datapoints' times in state reasons. */
function reasonTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(2, 4)} ${iso.slice(11, 19)}`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * One evaluation of an alarm, as CloudWatch documents it: the last `evaluationPeriods`
 * datapoints (oldest first, `value` undefined where the period had no data) are each breaching or
 * not; a missing one counts as breaching, as not breaching, or not at all (`ignore`, `missing`),
 * per `treatMissingData`. At least `datapointsToAlarm` breaching datapoints put the alarm in
 * ALARM, fewer put it in OK. With every datapoint missing, `missing` goes to INSUFFICIENT_DATA
 * and `ignore` keeps the current state. (CloudWatch also looks back past the evaluation range for
 * datapoints when some are missing; here the range is exactly the last `evaluationPeriods` periods.)
 */
export function evaluateAlarm(rule: AlarmRule, datapoints: ReadonlyArray<{ start: number; value: number | undefined }>, current: AlarmStateValue): Evaluation {
  const comparison = COMPARISONS[rule.comparisonOperator];
  const present = datapoints.filter((point): point is { start: number; value: number } => point.value !== undefined);
  const missing = datapoints.length - present.length;
  if (present.length === 0 && (rule.treatMissingData === 'missing' || rule.treatMissingData === 'ignore')) {
    if (rule.treatMissingData === 'ignore') return { state: current, reason: `no datapoints in ${plural(missing, 'period')}: state kept (missing data ignored)` };
    return { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${plural(missing, 'datapoint')} ${missing === 1 ? 'was' : 'were'} unknown.` };
  }
  const breachingPresent = present.filter((point) => comparison.test(point.value, rule.threshold)).length;
  const missingBreaching = rule.treatMissingData === 'breaching' ? missing : 0;
  const breaching = breachingPresent + missingBreaching;
  const state: AlarmStateValue = breaching >= rule.datapointsToAlarm ? 'ALARM' : 'OK';
  const transition = `${current} -> ${state}`;
  const threshold = rule.threshold.toFixed(1);
  if (present.length === 0) {
    const treatedAs = rule.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching';
    return { state, reason: `Threshold Crossed: no datapoints were received for ${plural(missing, 'period')} and ${plural(missing, 'missing datapoint')} ${missing === 1 ? 'was' : 'were'} treated as [${treatedAs}].` };
  }
  const shown = [...present].reverse().map((point) => `${point.value} (${reasonTime(point.start)})`).join(', ');
  const counted = state === 'ALARM' ? breaching : present.length - breachingPresent;
  const verb = present.length === 1 ? 'was' : 'were';
  const relation = state === 'ALARM' ? comparison.text : `not ${comparison.text}`;
  const minimum = state === 'ALARM' ? rule.datapointsToAlarm : rule.evaluationPeriods - rule.datapointsToAlarm + 1;
  return {
    state,
    reason:
      `Threshold Crossed: ${counted} out of the last ${datapoints.length} datapoints [${shown}] ${verb} ${relation} the threshold (${threshold})` +
      ` (minimum ${plural(minimum, 'datapoint')} for ${transition} transition).`,
  };
}
