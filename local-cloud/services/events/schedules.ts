import { randomUUID } from 'node:crypto';
import type { LambdaService } from '../lambda/lambda-service';
import { serviceInvoker } from '../lambda/resource-policy';

/** An `AWS::Events::Rule` with a schedule and Lambda targets, as the template declares it. */
export interface ScheduledRule {
  readonly name: string;
  readonly arn: string;
  /** `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`... */
  readonly scheduleExpression: string;
  /** Function ARNs, and the input each gets if the rule sets one. */
  readonly targets: ReadonlyArray<{ readonly functionRef: string; readonly input?: string }>;
}

const RATE_UNITS: Record<string, number> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 };

/** The period of a `rate(...)` expression in seconds; cron expressions are refused, not guessed at. */
export function rateSeconds(expression: string): number {
  const rate = expression.match(/^rate\((\d+) (minutes?|hours?|days?)\)$/);
  if (rate === null) throw new Error(`schedule "${expression}" is not supported locally; only rate(...) expressions are`);
  return Number(rate[1]) * RATE_UNITS[rate[2]];
}

/** What a rule's targets were sent: EventBridge's `Invocations` and `FailedInvocations` metrics. */
export interface RuleCounts {
  invocations: number;
  failedInvocations: number;
}

/**
 * EventBridge scheduled rules: at the rule's rate, or at `periodSecondsOverride` when set (tests
 * shorten minutes to seconds), hands each target a "Scheduled Event" through Lambda's
 * asynchronous invocation, as the rule's ARN under `events.amazonaws.com`, so the function's
 * resource policy must let the rule in. An invocation Lambda refuses counts as failed (the
 * stack's targets retry 0 times) and is logged. Unlike AWS, a tick is skipped while Lambda is
 * still busy with the target's previous event: at a shortened period, overlapping runs would
 * start an execution environment (a process) each on this one machine.
 */
export class ScheduleRunner {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly counts = new Map<string, RuleCounts>();

  constructor(
    private readonly rules: readonly ScheduledRule[],
    private readonly lambda: LambdaService,
    private readonly options: { readonly region: string; readonly accountId: string; readonly periodSecondsOverride?: number },
    private readonly log: (message: string) => void,
  ) {
    for (const rule of rules) rateSeconds(rule.scheduleExpression);
  }

  start(): void {
    for (const rule of this.rules) {
      const period = this.options.periodSecondsOverride ?? rateSeconds(rule.scheduleExpression);
      for (const target of rule.targets) {
        const counts = this.countsOf(rule.name);
        const invoker = serviceInvoker('events.amazonaws.com', rule.arn, this.options.accountId);
        let previous: Promise<unknown> | undefined;
        this.timers.push(
          setInterval(() => {
            if (previous) return;
            counts.invocations += 1;
            const event = target.input === undefined ? this.scheduledEvent(rule) : JSON.parse(target.input);
            previous = this.lambda
              .invokeAsync(target.functionRef, event, invoker)
              .then((queued) => queued.processed)
              .catch((error: Error) => {
                counts.failedInvocations += 1;
                this.log(`scheduled ${rule.name} -> ${target.functionRef} failed: ${error.message}`);
              })
              .finally(() => (previous = undefined));
          }, period * 1000),
        );
      }
    }
  }

  private scheduledEvent(rule: ScheduledRule) {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.options.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [rule.arn],
      detail: {},
    };
  }

  private countsOf(ruleName: string): RuleCounts {
    let counts = this.counts.get(ruleName);
    if (counts === undefined) {
      counts = { invocations: 0, failedInvocations: 0 };
      this.counts.set(ruleName, counts);
    }
    return counts;
  }

  /** Counts by rule name. */
  snapshot(): Record<string, RuleCounts> {
    return Object.fromEntries([...this.counts].map(([name, counts]) => [name, { ...counts }]));
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }
}
