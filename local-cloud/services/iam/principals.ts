/**
 * Who may do what, read from the synthesized template: each function runs as its role, whose
 * permissions are its inline `Policies`, the `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy`
 * resources that name it in `Roles`, and its `ManagedPolicyArns` (AWS managed ones come from
 * `aws-managed-policies.json`). SQS queue and SNS topic policies are resource policies on top.
 */
import managedPolicies from './aws-managed-policies.json';
import { loadPolicy, UnsupportedPolicyError, type LoadedPolicy, type PolicyDocument } from './policy';

/** The resolved template, as the local cloud's assembly and intrinsic resolver provide it. */
export interface TemplateView {
  readonly resources: ReadonlyMap<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
  /** Resolves intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, pseudo parameters) to plain values. */
  resolve(value: unknown): unknown;
}

/** One function, the identity its calls carry, and the policies of its role. */
export interface FunctionPrincipal {
  readonly functionLogicalId: string;
  readonly functionName: string;
  /** The access key id the function signs with locally: it tells the enforcer who calls. */
  readonly accessKeyId: string;
  readonly roleArn: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION`, as Lambda's role session is named and as denials name it. */
  readonly sessionArn: string;
  readonly policies: readonly LoadedPolicy[];
}

/** A queue or topic policy and the ARNs of the resources it is attached to. */
export interface ResourcePolicy {
  readonly resourceArns: readonly string[];
  readonly policy: LoadedPolicy;
}

/**
 * The access key id a function signs with locally. DynamoDB Local accepts only letters and digits
 * in access keys, and CloudFormation logical ids are exactly that.
 */
export function accessKeyIdFor(functionLogicalId: string): string {
  const key = `LOCAL${functionLogicalId}`;
  if (!/^[A-Za-z0-9]{1,128}$/.test(key)) throw new Error(`function ${functionLogicalId}: logical id cannot make an access key id`);
  return key;
}

const AWS_MANAGED: Readonly<Record<string, { document: unknown }>> = managedPolicies.policies;

/** The logical id an unresolved `{ Ref: id }` or `{ "Fn::GetAtt": [id, attribute] }` names. */
function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

function attachedLogicalIds(template: TemplateView, owner: string, values: unknown): string[] {
  return ((values as unknown[] | undefined) ?? []).map((value) => {
    const id = referencedLogicalId(value);
    if (id === undefined || !template.resources.has(id)) {
      throw new UnsupportedPolicyError(owner, `attaches to ${JSON.stringify(value)}, which is not a resource of the template`);
    }
    return id;
  });
}

/** Every identity policy of each role, by the role's logical id. */
function rolePolicies(template: TemplateView): Map<string, LoadedPolicy[]> {
  const byRole = new Map<string, LoadedPolicy[]>();
  const add = (roleId: string, policy: LoadedPolicy) => byRole.set(roleId, [...(byRole.get(roleId) ?? []), policy]);
  const customerManaged = new Map<string, LoadedPolicy>();
  for (const [logicalId, resource] of template.resources) {
    if (resource.Type === 'AWS::IAM::Role') byRole.set(logicalId, byRole.get(logicalId) ?? []);
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const properties = resource.Properties ?? {};
    const policy = loadPolicy(logicalId, 'identity', template.resolve(properties.PolicyDocument) as PolicyDocument);
    if (resource.Type === 'AWS::IAM::ManagedPolicy') customerManaged.set(String(template.resolve({ Ref: logicalId })), policy);
    for (const roleId of attachedLogicalIds(template, logicalId, properties.Roles)) add(roleId, policy);
  }
  for (const [roleId] of byRole) {
    const properties = template.resources.get(roleId)!.Properties ?? {};
    for (const inline of (template.resolve(properties.Policies) as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }> | undefined) ?? []) {
      add(roleId, loadPolicy(`${roleId}/${inline.PolicyName}`, 'identity', inline.PolicyDocument));
    }
    for (const arn of (template.resolve(properties.ManagedPolicyArns) as string[] | undefined) ?? []) {
      const managed = customerManaged.get(arn) ?? (AWS_MANAGED[arn] && loadPolicy(arn, 'identity', AWS_MANAGED[arn].document as PolicyDocument));
      if (managed === undefined) {
        throw new UnsupportedPolicyError(arn, `role ${roleId} attaches it, and its document is not in local-cloud/services/iam/aws-managed-policies.json`);
      }
      add(roleId, managed);
    }
  }
  return byRole;
}

/** Each function of the template as the principal its AWS calls are made by. */
export function functionPrincipals(template: TemplateView, account: string): FunctionPrincipal[] {
  const policiesByRole = rolePolicies(template);
  const principals: FunctionPrincipal[] = [];
  for (const [logicalId, resource] of template.resources) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const roleId = referencedLogicalId(resource.Properties?.Role);
    const policies = roleId === undefined ? undefined : policiesByRole.get(roleId);
    if (roleId === undefined || policies === undefined) {
      throw new UnsupportedPolicyError(logicalId, `function role ${JSON.stringify(resource.Properties?.Role)} is not a role of the template`);
    }
    const roleName = String(template.resolve({ Ref: roleId }));
    const functionName = String(template.resolve({ Ref: logicalId }));
    principals.push({
      functionLogicalId: logicalId,
      functionName,
      accessKeyId: accessKeyIdFor(logicalId),
      roleArn: String(template.resolve({ 'Fn::GetAtt': [roleId, 'Arn'] })),
      sessionArn: `arn:aws:sts::${account}:assumed-role/${roleName}/${functionName}`,
      policies,
    });
  }
  return principals;
}

/**
 * The local operator: what a developer or a test holding an administrator's credentials is on AWS
 * (an IAM user with AdministratorAccess), for calls to the APIs the local cloud answers itself,
 * such as `DELETE @connections`. No function signs with it; every function has its own key.
 */
export const OPERATOR_ACCESS_KEY_ID = 'LOCALOPERATOR';

export function operatorPrincipal(account: string): FunctionPrincipal {
  const userArn = `arn:aws:iam::${account}:user/local-operator`;
  return {
    functionLogicalId: '',
    functionName: '',
    accessKeyId: OPERATOR_ACCESS_KEY_ID,
    roleArn: userArn,
    sessionArn: userArn,
    policies: [loadPolicy('AdministratorAccess', 'identity', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] })],
  };
}

/** SQS queue policies and SNS topic policies, with the queues and topics each is attached to. */
export function resourcePolicies(template: TemplateView): ResourcePolicy[] {
  const attachments: Record<string, { list: string; arnOf: (id: string) => unknown }> = {
    'AWS::SQS::QueuePolicy': { list: 'Queues', arnOf: (id) => template.resolve({ 'Fn::GetAtt': [id, 'Arn'] }) },
    'AWS::SNS::TopicPolicy': { list: 'Topics', arnOf: (id) => template.resolve({ Ref: id }) },
  };
  const policies: ResourcePolicy[] = [];
  for (const [logicalId, resource] of template.resources) {
    const attachment = attachments[resource.Type];
    if (attachment === undefined) continue;
    const properties = resource.Properties ?? {};
    policies.push({
      resourceArns: attachedLogicalIds(template, logicalId, properties[attachment.list]).map((id) => String(attachment.arnOf(id))),
      policy: loadPolicy(logicalId, 'resource', template.resolve(properties.PolicyDocument) as PolicyDocument),
    });
  }
  return policies;
}
