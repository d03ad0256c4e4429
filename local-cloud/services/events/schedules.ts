import { randomUUID } from 'node:crypto';
import type { LambdaService } from '../lambda/lambda-service';

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

/**
 * EventBridge scheduled rules: invokes each target with a "Scheduled Event" at the rule's rate,
 * or at `periodSecondsOverride` when set (tests shorten minutes to seconds). An invocation still
 * running when the next is due is not overlapped; the tick is skipped, as a late schedule would.
 */
export class ScheduleRunner {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();

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
        let inFlight: Promise<unknown> | undefined;
        this.timers.push(
          setInterval(() => {
            if (inFlight) return;
            inFlight = this.lambda
              .invoke(target.functionRef, target.input === undefined ? this.scheduledEvent(rule) : JSON.parse(target.input))
              .catch((error: Error) => this.log(`scheduled ${rule.name} -> ${target.functionRef} failed: ${error.message}`))
              .finally(() => {
                this.running.delete(inFlight!);
                inFlight = undefined;
              });
            this.running.add(inFlight);
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

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
  }
}
