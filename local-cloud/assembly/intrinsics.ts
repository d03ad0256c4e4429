/** What a resource stands for once the local cloud has created it: its `Ref` and `Fn::GetAtt` values. */
export interface ResourceValues {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly stackName: string;
}

/**
 * Resolves the CloudFormation intrinsic functions CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split) against the local cloud's resources, so that every value a function or
 * resource gets comes from the template itself.
 */
export class IntrinsicResolver {
  private readonly values = new Map<string, ResourceValues>();

  constructor(private readonly pseudo: PseudoParameters) {}

  define(logicalId: string, values: ResourceValues): void {
    this.values.set(logicalId, values);
  }

  private resourceValues(logicalId: string): ResourceValues {
    const values = this.values.get(logicalId);
    if (values === undefined) throw new Error(`the local cloud has no resource ${logicalId} to refer to`);
    return values;
  }

  private ref(name: string): string {
    switch (name) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::Partition':
        return this.pseudo.partition;
      case 'AWS::URLSuffix':
        return this.pseudo.urlSuffix;
      case 'AWS::StackName':
        return this.pseudo.stackName;
      default:
        return this.resourceValues(name).ref;
    }
  }

  private getAtt(logicalId: string, attribute: string): string {
    const value = this.resourceValues(logicalId).attributes[attribute];
    if (value === undefined) throw new Error(`the local cloud does not provide ${logicalId}.${attribute}`);
    return value;
  }

  private sub(template: string, variables: Record<string, unknown>): string {
    return template.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in variables) return this.resolveString(variables[name]);
      const [logicalId, attribute] = name.split('.', 2);
      return attribute === undefined ? this.ref(logicalId) : this.getAtt(logicalId, attribute);
    });
  }

  /** Resolves a value that must come out as a string. */
  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [[key, argument]] = entries;
      switch (key) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.', 2);
          return this.getAtt(String(logicalId), String(attribute));
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map((part) => this.resolveString(part)).join(separator);
        }
        case 'Fn::Sub':
          return Array.isArray(argument)
            ? this.sub(String(argument[0]), argument[1] as Record<string, unknown>)
            : this.sub(String(argument), {});
        case 'Fn::Select': {
          const [index, list] = argument as [unknown, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, source] = argument as [string, unknown];
          return this.resolveString(source).split(separator);
        }
        default:
          if (key.startsWith('Fn::')) throw new Error(`the local cloud does not support ${key}`);
      }
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }
}
