import * as fs from 'node:fs';
import * as path from 'node:path';
import { CUSTOM_METRICS } from '../../lib/constructs/monitored-metrics';

const LAMBDAS = path.join(__dirname, '..', '..', 'lambdas');

/** Every metric name a handler or helper of `lambdas/` emits with `metrics.addMetric(<name or a choice of names>, ...)`. */
function emittedNames(): Set<string> {
  const names = new Set<string>();
  const files = fs.readdirSync(LAMBDAS, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  for (const file of files) {
    for (const [, nameArgument] of fs.readFileSync(path.join(LAMBDAS, file), 'utf8').matchAll(/addMetric\(([^,]+),/g)) {
      for (const [, name] of nameArgument.matchAll(/'(\w+)'/g)) names.add(name);
    }
  }
  return names;
}

describe('the custom metrics the monitoring reads', () => {
  it('are all emitted by the functions under the same names, so that no alarm or chart watches a metric nobody sends', () => {
    const emitted = emittedNames();
    expect(emitted.size).toBeGreaterThan(10);
    expect(Object.values(CUSTOM_METRICS).filter((name) => !emitted.has(name))).toEqual([]);
  });
});
