import { rateSeconds } from '../../../../local-cloud/services/events/schedules';

describe('schedule expressions', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(2 hours)', 7200],
    ['rate(1 day)', 86400],
  ])('reads %s as %i seconds', (expression, seconds) => {
    expect(rateSeconds(expression)).toBe(seconds);
  });

  it('refuses cron expressions rather than guess at them', () => {
    expect(() => rateSeconds('cron(0 12 * * ? *)')).toThrow(/not supported locally/);
  });
});
