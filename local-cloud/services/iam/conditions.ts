/**
 * The `Condition` element of IAM policies, limited to the operators and global keys this stack's
 * policies use or can sensibly use ("IAM JSON policy elements: Condition operators" and "AWS
 * global condition context keys", IAM User Guide). Anything else is refused when the policy is
 * loaded: an operator or key the evaluator does not know must never quietly evaluate to a match.
 */
import { arnMatches, wildcardPattern } from './wildcards';

/** What AWS knows about a request when it evaluates a condition. */
export interface RequestContext {
  /** `aws:PrincipalArn`: for a role session, the role's ARN. */
  readonly principalArn: string;
  /** The session's own ARN, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, as errors name it. */
  readonly sessionArn: string;
  readonly account: string;
  readonly region: string;
  /** `aws:SecureTransport`: AWS SDKs call over TLS; the local plain-HTTP hop stands in for it. */
  readonly secureTransport: boolean;
  /** `aws:SourceArn`: present only when a service calls on behalf of a resource, never for a function's own call. */
  readonly sourceArn?: string;
}

export type Condition = Readonly<Record<string, Readonly<Record<string, string | boolean | Array<string | boolean>>>>>;

/** Each supported key, lower-cased as keys are case-insensitive, to its value in a request. */
const KEYS: Readonly<Record<string, (context: RequestContext) => string | undefined>> = {
  'aws:securetransport': (context) => String(context.secureTransport),
  'aws:sourcearn': (context) => context.sourceArn,
  'aws:sourceaccount': (context) => (context.sourceArn === undefined ? undefined : context.account),
  'aws:principalarn': (context) => context.principalArn,
  'aws:principalaccount': (context) => context.account,
  'aws:requestedregion': (context) => context.region,
};

interface Operator {
  /** Whether one policy value matches the request's value. */
  readonly matches: (policyValue: string, requestValue: string) => boolean;
  /** `StringNotEquals` and its kind: the condition holds when no value matches, and when the key is absent. */
  readonly negated: boolean;
}

const OPERATORS: Readonly<Record<string, Operator>> = {
  StringEquals: { matches: (p, r) => p === r, negated: false },
  StringNotEquals: { matches: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { matches: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { matches: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { matches: (p, r) => wildcardPattern(p).test(r), negated: false },
  StringNotLike: { matches: (p, r) => wildcardPattern(p).test(r), negated: true },
  // ArnEquals and ArnLike behave the same: both take wildcards in each ARN part.
  ArnEquals: { matches: arnMatches, negated: false },
  ArnLike: { matches: arnMatches, negated: false },
  ArnNotEquals: { matches: arnMatches, negated: true },
  ArnNotLike: { matches: arnMatches, negated: true },
  Bool: { matches: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
};

function parseOperator(name: string): { operator: Operator | 'Null'; ifExists: boolean } {
  if (name.includes(':')) throw new Error(`condition operator ${name}: set operators (ForAnyValue/ForAllValues) are not supported`);
  if (name === 'Null') return { operator: 'Null', ifExists: false };
  const ifExists = name.endsWith('IfExists');
  const operator = OPERATORS[ifExists ? name.slice(0, -'IfExists'.length) : name];
  if (operator === undefined) throw new Error(`condition operator ${name} is not supported`);
  return { operator, ifExists };
}

const values = (value: string | boolean | Array<string | boolean>): string[] => (Array.isArray(value) ? value : [value]).map(String);

/** Throws, naming the culprit, for any operator, key or value this evaluator does not understand. */
export function validateCondition(condition: Condition): void {
  for (const [operatorName, entries] of Object.entries(condition)) {
    parseOperator(operatorName);
    for (const [key, value] of Object.entries(entries)) {
      if (KEYS[key.toLowerCase()] === undefined) throw new Error(`condition key ${key} (under ${operatorName}) is not supported`);
      for (const entry of Array.isArray(value) ? value : [value]) {
        if (typeof entry !== 'string' && typeof entry !== 'boolean') {
          throw new Error(`condition ${operatorName} ${key} has an unresolved value ${JSON.stringify(entry)}`);
        }
      }
    }
  }
}

/** Every operator, every key under it and one of a key's values (none, for negated operators) must hold. */
export function conditionMatches(condition: Condition, context: RequestContext): boolean {
  return Object.entries(condition).every(([operatorName, entries]) => {
    const { operator, ifExists } = parseOperator(operatorName);
    return Object.entries(entries).every(([key, policyValue]) => {
      const requestValue = KEYS[key.toLowerCase()](context);
      if (operator === 'Null') return values(policyValue).some((expected) => (expected.toLowerCase() === 'true') === (requestValue === undefined));
      if (requestValue === undefined) return ifExists || operator.negated;
      const anyMatch = values(policyValue).some((expected) => operator.matches(expected, requestValue));
      return operator.negated ? !anyMatch : anyMatch;
    });
  });
}
