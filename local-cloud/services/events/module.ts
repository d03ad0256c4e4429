import { resourcesOfType } from '../../assembly/cloud-assembly';
import { ACCOUNT_ID, arn, REGION } from '../account';
import { json } from '../../http';
import type { CloudContext, CloudService, DefinedResource, HttpRoute } from '../service';
import { ScheduleRunner, type ScheduledRule } from './schedules';

const RULE = 'AWS::Events::Rule';

/** EventBridge: the template's scheduled rules, run against their Lambda targets, and `/dev/schedules` to count what they sent. */
export class EventsService implements CloudService {
  readonly name = 'events';
  private schedules?: ScheduleRunner;

  readonly resourceTypes = {
    [RULE]: ({ physicalName }: DefinedResource) => ({ ref: physicalName, attributes: { Arn: arn('events', `rule/${physicalName}`) } }),
  };

  async start({ assembly, resolver, config, log, exposed }: CloudContext): Promise<void> {
    const rules: ScheduledRule[] = [];
    for (const [logicalId, resource] of resourcesOfType(assembly, RULE)) {
      const properties = resolver.resolve(resource.Properties) as {
        ScheduleExpression?: string;
        State?: string;
        Targets?: Array<{ Arn: string; Input?: string }>;
      };
      if (properties.ScheduleExpression === undefined) throw new Error(`rule ${logicalId} matches events; only scheduled rules run locally`);
      if (properties.State === 'DISABLED') continue;
      rules.push({
        name: resolver.resolveString({ Ref: logicalId }),
        arn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
        scheduleExpression: properties.ScheduleExpression,
        targets: (properties.Targets ?? []).map((target) => ({ functionRef: target.Arn, input: target.Input })),
      });
    }
    if (rules.length === 0) return;
    if (exposed.lambda === undefined) throw new Error('scheduled rules target functions, and no functions run');
    this.schedules = new ScheduleRunner(
      rules,
      exposed.lambda,
      { region: REGION, accountId: ACCOUNT_ID, periodSecondsOverride: config.schedulePeriodSeconds },
      log,
    );
    this.schedules.start();
  }

  readonly routes: readonly HttpRoute[] = [
    { path: '/dev/schedules', handle: (_request, response) => json(response, 200, { rules: this.schedules?.snapshot() ?? {} }) },
  ];

  async stop(): Promise<void> {
    this.schedules?.stop();
  }
}
