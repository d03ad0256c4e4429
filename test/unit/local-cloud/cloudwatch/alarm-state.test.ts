import { evaluateAlarm, type AlarmRule, type TreatMissingData } from '../../../../local-cloud/services/cloudwatch/alarm-state';

/** `X` breaching, `0` not breaching, `-` missing, oldest first: the notation of CloudWatch's missing-data table. */
function datapoints(pattern: string) {
  return [...pattern.replace(/\s/g, '')].map((symbol, index) => ({ start: Date.UTC(2026, 10, 30, 11, index * 5), value: symbol === 'X' ? 10 : symbol === '0' ? 1 : undefined }));
}

const rule = (treatMissingData: TreatMissingData, evaluationPeriods = 3, datapointsToAlarm = 3): AlarmRule => ({
  comparisonOperator: 'GreaterThanThreshold',
  threshold: 5,
  evaluationPeriods,
  datapointsToAlarm,
  treatMissingData,
});

describe('an alarm`s state from its datapoints, as CloudWatch documents it', () => {
  test('every datapoint missing: missing goes to INSUFFICIENT_DATA, ignore keeps the state, breaching ALARM, notBreaching OK', () => {
    expect(evaluateAlarm(rule('missing'), datapoints('- - -'), 'OK').state).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm(rule('ignore'), datapoints('- - -'), 'ALARM').state).toBe('ALARM');
    expect(evaluateAlarm(rule('ignore'), datapoints('- - -'), 'OK').state).toBe('OK');
    expect(evaluateAlarm(rule('breaching'), datapoints('- - -'), 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(rule('notBreaching'), datapoints('- - -'), 'ALARM').state).toBe('OK');
  });

  test.each<[string, TreatMissingData, 'OK' | 'ALARM']>([
    ['X X X', 'missing', 'ALARM'],
    ['0 X X', 'missing', 'OK'],
    ['- X X', 'notBreaching', 'OK'],
    ['- X X', 'breaching', 'ALARM'],
    ['- X X', 'missing', 'OK'],
    ['- X X', 'ignore', 'OK'],
    ['0 - -', 'breaching', 'OK'],
  ])('3 out of 3: %s with %s is %s', (pattern, treatment, state) => {
    expect(evaluateAlarm(rule(treatment), datapoints(pattern), 'INSUFFICIENT_DATA').state).toBe(state);
  });

  test('M out of N: 2 breaching datapoints of the last 5 are enough for 2 of 5, not for 3 of 5', () => {
    expect(evaluateAlarm(rule('notBreaching', 5, 2), datapoints('X 0 - X 0'), 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(rule('notBreaching', 5, 3), datapoints('X 0 - X 0'), 'ALARM').state).toBe('OK');
  });

  test.each([
    ['GreaterThanThreshold', 5, 'OK'],
    ['GreaterThanOrEqualToThreshold', 5, 'ALARM'],
    ['LessThanThreshold', 5, 'OK'],
    ['LessThanOrEqualToThreshold', 5, 'ALARM'],
    ['LessThanThreshold', 6, 'ALARM'],
  ] as const)('%s against %d, at the threshold, is %s', (comparisonOperator, threshold, state) => {
    const evaluation = evaluateAlarm({ ...rule('missing', 1, 1), comparisonOperator, threshold }, [{ start: 0, value: 5 }], 'INSUFFICIENT_DATA');
    expect(evaluation.state).toBe(state);
  });

  test('the reason names the datapoints, newest first, and the threshold, as CloudWatch`s does', () => {
    const { reason } = evaluateAlarm(rule('notBreaching', 1, 1), [{ start: Date.UTC(2026, 10, 30, 11, 10), value: 7 }], 'OK');
    expect(reason).toBe('Threshold Crossed: 1 out of the last 1 datapoints [7 (30/11/26 11:10:00)] was greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition).');
  });
});
