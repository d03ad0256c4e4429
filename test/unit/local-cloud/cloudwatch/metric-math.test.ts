import { compileExpression, UnsupportedExpression } from '../../../../local-cloud/services/cloudwatch/metric-math';

describe('the metric math the template`s alarms use', () => {
  test('an error rate: FILL gives missing errors zero, a period without invocations has no value', () => {
    const expression = compileExpression('100 * FILL(errors_send, 0) / invocations_send');
    expect([...expression.ids].sort()).toEqual(['errors_send', 'invocations_send']);
    const series = new Map([
      ['errors_send', [undefined, 1, undefined, 2]],
      ['invocations_send', [10, 4, undefined, 0]],
    ]);
    expect(expression.evaluate(series, 4)).toEqual([0, 25, undefined, undefined]);
  });

  test('a sum of filled metrics, with precedence and parentheses', () => {
    const expression = compileExpression('FILL(a, 0) + FILL(b,0) * 2 - (1 + 1)');
    expect(expression.evaluate(new Map([['a', [1, undefined]], ['b', [undefined, 3]]]), 2)).toEqual([-1, 4]);
  });

  test.each([
    ['a function it does not evaluate', 'RATE(m1)', /RATE/],
    ['a metrics insights query', 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")', /SELECT/],
    ['a dangling operator', 'm1 +', /expected more/],
  ])('refuses %s, naming it', (_case, text, message) => {
    expect(() => compileExpression(text)).toThrow(UnsupportedExpression);
    expect(() => compileExpression(text)).toThrow(message);
  });
});
