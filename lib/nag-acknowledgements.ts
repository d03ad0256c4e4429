import { Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/*
 * Acknowledgements of cdk-nag's AwsSolutions findings that this design means (test/stack/cdk-nag.test.ts
 * fails on any finding not fixed or acknowledged). Each says why, where the finding arises.
 */

/** A CloudFormation value as cdk-nag writes it in a finding id: `<LogicalId>`, `<LogicalId.Attribute>`, joins joined. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (node && 'Ref' in node) return `<${String(node.Ref)}>`;
  if (node && 'Fn::GetAtt' in node) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  if (node && 'Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges, on the grantee's role, the wildcard in `resourceArn` (AwsSolutions-IAM5) that the
 * grant needs, with the reason.
 */
export function acknowledgeWildcardResource(grantee: IGrantable, resourceArn: string, reason: string): void {
  const principal: unknown = grantee.grantPrincipal;
  if (!Construct.isConstruct(principal)) return;
  const resource = flatten(Stack.of(principal).resolve(resourceArn));
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}

/** Acknowledges a finding on a construct and everything in it, with the reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
