import { compileExpression, UnsupportedExpression } from '../../../../local-cloud/services/cloudwatch/metric-math';

describe('the metric math the template`s alarms use', () => {
  test('an error rate: FILL gives missing errors zero, a period without invocations has no value', () => {
    const expression = compileExpression('100 * FILL(errors_send, 0) / invocations_send');
    expect([...expression.ids].sort()).toEqual(['errors_send', 'invocations_send']);
    const series = new Map([
      ['errors_send', [undefined, 1, undefined, 2]],
      ['invocations_send', [10, 4, undefined, 0]],
    ]);
    expect(expression.evaluate(series, 4, 60)).toEqual([0, 25, undefined, undefined]);
  });

  test('a sum of filled metrics, with precedence and parentheses', () => {
    const expression = compileExpression('FILL(a, 0) + FILL(b,0) * 2 - (1 + 1)');
    expect(expression.evaluate(new Map([['a', [1, undefined]], ['b', [undefined, 3]]]), 2, 60)).toEqual([-1, 4]);
  });

  test('PERIOD(id) is the period in seconds: a sum per period becomes a rate per second', () => {
    const expression = compileExpression('FILL(requests,0) / PERIOD(requests)');
    expect([...expression.ids]).toEqual(['requests']);
    expect(expression.evaluate(new Map([['requests', [30, undefined, 6]]]), 3, 60)).toEqual([0.5, 0, 0.1]);
    expect(expression.evaluate(new Map([['requests', [30]]]), 1, 10)).toEqual([3]);
  });

  test.each([
    ['a function it does not evaluate', 'RATE(m1)', /RATE/],
    ['PERIOD of a number', 'PERIOD(5)', /PERIOD takes a metric id/],
    ['a metrics insights query', 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")', /SELECT/],
    ['a dangling operator', 'm1 +', /expected more/],
  ])('refuses %s, naming it', (_case, text, message) => {
    expect(() => compileExpression(text)).toThrow(UnsupportedExpression);
    expect(() => compileExpression(text)).toThrow(message);
  });
});
