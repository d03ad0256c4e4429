import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, ArnFormat, CfnElement, Stack, type IResolvable } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnRole, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';

/** The feature flags of `cdk.json`, so that tests synthesize what `cdk synth` deploys (policy minimizing among them). */
const CDK_JSON_CONTEXT = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

/** An app as `cdk synth` makes it, with bundling skipped (these tests read the template only) and construct paths in metadata. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true, ...context } });
}

/** A fresh, empty stack to put one construct in. */
export function testStack(): Stack {
  return new Stack(testApp(), 'Test');
}

/** A role that receives a construct's grants, to read what a grant method gives and nothing else. */
export function grantee(stack: Stack, id = 'Grantee'): Role {
  return new Role(stack, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
}

/** A plain function, standing in for the handlers a construct is handed. */
export function stubFunction(stack: Stack, id: string): LambdaFunction {
  return new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => {}') });
}

/** How a resource (an ARN, a token or `*`) appears in the template, as a key of `permissionsOf`. */
export function resource(stack: Stack, value: string | IResolvable): string {
  return JSON.stringify(stack.resolve(value));
}

/** The logical id of a resource made by CDK (a function, a table, a queue), as `Ref` and `Fn::GetAtt` name it. */
export function logicalIdOf(stack: Stack, construct: CfnElement | { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct instanceof CfnElement ? construct : (construct.node.defaultChild as CfnElement));
}

/** A Keyspaces ARN in the stack's account and region, as the template writes it (a `permissionsOf` key). */
export function keyspacesArn(path: string): string {
  return JSON.stringify({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cassandra:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:/keyspace/${path}`]],
  });
}

/**
 * Everything the role's policies allow, as resource → sorted actions, whatever way CDK split or
 * merged the statements. Compared with `toEqual`, an extra action or resource fails the test.
 */
export function permissionsOf(stack: Stack, role: IRole): Record<string, string[]> {
  const roleId = stack.getLogicalId(role.node.defaultChild as CfnRole);
  const template = Template.fromStack(stack);
  const permissions = new Map<string, Set<string>>();
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })),
  );
  for (const policy of policies) {
    for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Effect: string; Action: unknown; Resource: unknown }>) {
      expect(statement.Effect).toBe('Allow');
      for (const target of [statement.Resource].flat()) {
        const key = JSON.stringify(target);
        const actions = permissions.get(key) ?? new Set<string>();
        for (const action of [statement.Action].flat() as string[]) actions.add(action);
        permissions.set(key, actions);
      }
    }
  }
  return Object.fromEntries([...permissions].map(([key, actions]) => [key, [...actions].sort()]));
}

/** Sorted, for comparison with `permissionsOf`. */
export function actions(...names: string[]): string[] {
  return [...names].sort();
}

/** An ARN of the gateway's `@connections` management API, `path` after the stage (e.g. `POST/@connections/*`), as a `permissionsOf` key. */
export function managementApiArn(stack: Stack, gateway: { api: { apiId: string }; stage: { stageName: string } }, path: string): string {
  return resource(stack, stack.formatArn({ service: 'execute-api', resource: gateway.api.apiId, resourceName: `${gateway.stage.stageName}/${path}` }));
}

/** What every MessengerFunction may do before any grant: write traces, and write to its own log group. */
export function functionBaseline(stack: Stack, fn: { logGroup: ILogGroup }): Record<string, string[]> {
  return {
    '"*"': actions('xray:PutTraceSegments', 'xray:PutTelemetryRecords'),
    [resource(stack, fn.logGroup.logGroupArn)]: actions('logs:CreateLogStream', 'logs:PutLogEvents'),
    [resource(stack, stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: fn.logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }))]: actions('logs:CreateLogStream', 'logs:PutLogEvents'),
  };
}

/** `functionBaseline`, with more actions on `*` (such as `dynamodb:ListStreams`, which has no resource ARN). */
export function withActionsOnAnyResource(baseline: Record<string, string[]>, ...extra: string[]): Record<string, string[]> {
  return { ...baseline, '"*"': actions(...baseline['"*"'], ...extra) };
}
