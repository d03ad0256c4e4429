import type { AlarmDefinition, AlarmSource } from './alarm-definitions';
import { evaluateAlarm, type AlarmStateValue } from './alarm-state';
import type { Series } from './metric-math';
import type { MetricStore, PeriodValue } from './metric-store';
import { alarmNotification } from './notification';

/** A notification an alarm's state change sent to one of its actions' topics. */
export interface SentNotification {
  readonly topicArn: string;
  readonly subject: string;
  readonly message: string;
  /** SNS's MessageId; absent when the publish failed. */
  readonly messageId?: string;
  readonly error?: string;
  /** Epoch ms. */
  readonly time: number;
}

/** An alarm as `GET /dev/alarms` shows it. */
export interface AlarmStatus {
  readonly alarmName: string;
  readonly logicalId: string;
  state: AlarmStateValue;
  reason: string;
  /** Epoch ms of the last state change, and of the last evaluation. */
  stateUpdatedAt: number;
  lastEvaluatedAt?: number;
  /** The datapoints of the last evaluation, oldest first. */
  lastDatapoints: PeriodValue[];
  readonly notifications: SentNotification[];
}

export interface EvaluatorOptions {
  readonly store: MetricStore;
  /** Publishes to an SNS topic; resolves to the MessageId. */
  readonly publish: (topicArn: string, subject: string, message: string) => Promise<string>;
  readonly region: string;
  /** Every period of every alarm lasts this long instead (`LOCAL_ALARM_PERIOD_SECONDS`). */
  readonly periodSecondsOverride?: number;
  readonly log: (message: string) => void;
  readonly now?: () => number;
}

/** A period is evaluated this long after it ends, so that datapoints written at its end are in. */
const MAX_GRACE_MS = 5000;

/**
 * CloudWatch's alarm evaluation, locally: each alarm of the template is evaluated once each of its
 * periods has ended (plus a short grace), over its last `EvaluationPeriods` periods of the metric
 * store; a state change is recorded and published to the topics of the actions for the new state
 * (`AlarmActions`, `OKActions`, `InsufficientDataActions`), with the message CloudWatch sends.
 * New alarms start in INSUFFICIENT_DATA, as in CloudWatch.
 */
export class AlarmEvaluator {
  private readonly statuses = new Map<string, AlarmStatus>();
  private readonly evaluatedUntil = new Map<string, number>();
  private readonly configuredAt: number;
  private readonly now: () => number;

  constructor(
    private readonly alarms: readonly AlarmDefinition[],
    private readonly options: EvaluatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.configuredAt = this.now();
    for (const alarm of alarms) {
      this.statuses.set(alarm.alarmName, {
        alarmName: alarm.alarmName,
        logicalId: alarm.logicalId,
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        stateUpdatedAt: this.configuredAt,
        lastDatapoints: [],
        notifications: [],
      });
    }
  }

  /** The length of an alarm's period here, in ms. */
  periodMs(alarm: AlarmDefinition): number {
    const seconds = alarm.source.kind === 'metric' ? alarm.source.stat.periodSeconds : alarm.source.periodSeconds;
    return (this.options.periodSecondsOverride ?? seconds) * 1000;
  }

  /** Evaluates every alarm whose latest period has ended since it was last evaluated. */
  async tick(): Promise<void> {
    const now = this.now();
    await Promise.all(
      this.alarms.map(async (alarm) => {
        const periodMs = this.periodMs(alarm);
        const end = Math.floor((now - Math.min(MAX_GRACE_MS, periodMs / 4)) / periodMs) * periodMs;
        // Only periods that end after the alarm was created: none before it can have data.
        if ((this.evaluatedUntil.get(alarm.alarmName) ?? this.configuredAt) >= end) return;
        this.evaluatedUntil.set(alarm.alarmName, end);
        await this.evaluate(alarm, end, now);
      }),
    );
  }

  private async evaluate(alarm: AlarmDefinition, end: number, now: number): Promise<void> {
    const status = this.statuses.get(alarm.alarmName)!;
    const datapoints = this.datapoints(alarm.source, this.periodMs(alarm), end, alarm.rule.evaluationPeriods);
    const { state, reason } = evaluateAlarm(alarm.rule, datapoints, status.state);
    status.lastEvaluatedAt = now;
    status.lastDatapoints = datapoints;
    if (state === status.state) return;
    const change = { oldState: status.state, newState: state, reason, time: now };
    Object.assign(status, { state, reason, stateUpdatedAt: now });
    // Every alarm leaves INSUFFICIENT_DATA once at start; only changes to and from ALARM are news.
    if (state === 'ALARM' || change.oldState === 'ALARM') this.options.log(`alarm ${alarm.alarmName}: ${change.oldState} -> ${state}: ${reason}`);
    if (!alarm.actionsEnabled) return;
    const actions = state === 'ALARM' ? alarm.alarmActions : state === 'OK' ? alarm.okActions : alarm.insufficientDataActions;
    const { subject, message } = alarmNotification(alarm, change, this.options.region, this.configuredAt);
    for (const topicArn of actions) {
      try {
        const messageId = await this.options.publish(topicArn, subject, message);
        status.notifications.push({ topicArn, subject, message, messageId, time: now });
      } catch (error) {
        // CloudWatch keeps the new state when an action fails; the failure shows in the alarm's history.
        status.notifications.push({ topicArn, subject, message, error: (error as Error).message, time: now });
        this.options.log(`alarm ${alarm.alarmName}: publishing to ${topicArn} failed: ${(error as Error).message}`);
      }
    }
  }

  /** The alarm's value in each of the `count` periods ending at `end`: its metric's statistic, or its expression over its metrics. */
  private datapoints(source: AlarmSource, periodMs: number, end: number, count: number): PeriodValue[] {
    const { store } = this.options;
    if (source.kind === 'metric') return store.periods(source.stat.metric, source.stat.statistic, periodMs, end, count);
    const series = new Map<string, Series>();
    let starts: number[] = [];
    for (const [id, stat] of source.stats) {
      const periods = store.periods(stat.metric, stat.statistic, periodMs, end, count);
      series.set(id, periods.map((period) => period.value));
      starts = periods.map((period) => period.start);
    }
    const values = source.expression.evaluate(series, count, periodMs / 1000);
    return values.map((value, index) => ({ start: starts[index], value }));
  }

  /** Every alarm's state, reason, last evaluation and the notifications it sent, by name. */
  snapshot(): Record<string, AlarmStatus> {
    return Object.fromEntries(this.statuses);
  }
}
