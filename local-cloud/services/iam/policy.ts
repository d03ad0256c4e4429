/**
 * IAM policy statements and AWS's evaluation logic for one account: an explicit Deny in any
 * applicable policy wins, then an Allow in any of them, else the request is implicitly denied
 * ("Policy evaluation logic", IAM User Guide). Statements are checked once, when they are loaded,
 * so that a condition the evaluator does not understand stops the local cloud at start instead
 * of being silently skipped.
 */
import { conditionMatches, validateCondition, type Condition, type RequestContext } from './conditions';
import { actionMatches, arnMatches } from './wildcards';

export type { RequestContext } from './conditions';

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Condition;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Statement | Statement[];
}

/** A policy, named for error messages, with its statements already validated. */
export interface LoadedPolicy {
  readonly name: string;
  readonly kind: 'identity' | 'resource';
  readonly statements: readonly Statement[];
}

/** The policy of a template that the evaluator cannot enforce faithfully. */
export class UnsupportedPolicyError extends Error {
  constructor(policyName: string, reason: string) {
    super(`IAM policy ${policyName}: ${reason}; the local cloud enforces IAM and will not run a policy it cannot evaluate`);
    this.name = 'UnsupportedPolicyError';
  }
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether a resource policy's `Principal` names this role session. */
function principalMatches(principal: unknown, context: RequestContext): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const aws = list((principal as { AWS?: string | string[] }).AWS);
  return aws.some((entry) => entry === '*' || entry === context.principalArn || entry === context.sessionArn);
}

function validateStatement(policyName: string, kind: LoadedPolicy['kind'], statement: Statement): void {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new UnsupportedPolicyError(policyName, `statement Effect must be Allow or Deny, got ${JSON.stringify(statement.Effect)}`);
  }
  if ((statement.Action === undefined) === (statement.NotAction === undefined)) {
    throw new UnsupportedPolicyError(policyName, 'each statement needs exactly one of Action and NotAction');
  }
  if ((statement.Resource === undefined) === (statement.NotResource === undefined)) {
    throw new UnsupportedPolicyError(policyName, 'each statement needs exactly one of Resource and NotResource');
  }
  for (const value of [...list(statement.Action), ...list(statement.NotAction), ...list(statement.Resource), ...list(statement.NotResource)]) {
    if (typeof value !== 'string') throw new UnsupportedPolicyError(policyName, `unresolved value ${JSON.stringify(value)} in a statement`);
    if (value.includes('${')) throw new UnsupportedPolicyError(policyName, `policy variables (${value}) are not supported`);
  }
  if (statement.NotPrincipal !== undefined) throw new UnsupportedPolicyError(policyName, 'NotPrincipal is not supported');
  if (kind === 'resource' && statement.Principal === undefined) throw new UnsupportedPolicyError(policyName, 'a resource policy statement needs a Principal');
  if (kind === 'identity' && statement.Principal !== undefined) throw new UnsupportedPolicyError(policyName, 'an identity policy statement cannot have a Principal');
  if (statement.Condition !== undefined) {
    try {
      validateCondition(statement.Condition);
    } catch (error) {
      throw new UnsupportedPolicyError(policyName, (error as Error).message);
    }
  }
}

/** Validates a policy document and keeps its statements for evaluation. */
export function loadPolicy(name: string, kind: LoadedPolicy['kind'], document: PolicyDocument): LoadedPolicy {
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  for (const statement of statements) validateStatement(name, kind, statement);
  return { name, kind, statements };
}

function statementApplies(statement: Statement, kind: LoadedPolicy['kind'], action: string, resource: string, context: RequestContext): boolean {
  if (kind === 'resource' && !principalMatches(statement.Principal, context)) return false;
  const actionHit =
    statement.Action !== undefined
      ? list(statement.Action).some((pattern) => actionMatches(pattern, action))
      : !list(statement.NotAction).some((pattern) => actionMatches(pattern, action));
  if (!actionHit) return false;
  const resourceHit =
    statement.Resource !== undefined
      ? list(statement.Resource).some((pattern) => arnMatches(pattern, resource))
      : !list(statement.NotResource).some((pattern) => arnMatches(pattern, resource));
  if (!resourceHit) return false;
  return statement.Condition === undefined || conditionMatches(statement.Condition, context);
}

export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'implicit' }
  | { readonly allowed: false; readonly reason: 'explicit'; readonly policyKind: LoadedPolicy['kind'] };

/** AWS's decision for one action on one resource, from every policy that applies (same account). */
export function evaluate(policies: readonly LoadedPolicy[], action: string, resource: string, context: RequestContext): Decision {
  let allowed = false;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (!statementApplies(statement, policy.kind, action, resource, context)) continue;
      if (statement.Effect === 'Deny') return { allowed: false, reason: 'explicit', policyKind: policy.kind };
      allowed = true;
    }
  }
  return allowed ? { allowed: true } : { allowed: false, reason: 'implicit' };
}
