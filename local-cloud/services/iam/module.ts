import { resourcesOfType } from '../../assembly/cloud-assembly';
import { ACCOUNT_ID, arn, REGION } from '../account';
import type { CloudContext, CloudService, DefinedResource, LaunchContext } from '../service';
import type { HttpRequestView, IamService as IamCheckedService } from './classify';
import type { CqlRequestOutcome } from './cql-requests';
import { LocalIam } from './enforcement';
import type { ProxiedCall } from './proxy';
import type { Verdict } from './enforcer';
import { missingEventSourceGrants } from './event-sources';
import { OPERATOR_ACCESS_KEY_ID } from './principals';

/** What the IAM service offers the services after it: functions' identities, and checks of calls it does not proxy. */
export interface IamAccess {
  /** `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` of a function, by logical id: its calls carry its role. */
  credentialsFor(functionLogicalId: string): Record<string, string>;
  /** Whether a call to an API the local cloud answers itself (the `@connections` API) may proceed. */
  check(service: IamCheckedService, request: HttpRequestView): Verdict;
  /** Tells the observer of every Keyspaces request a function runs, once answered (for CloudWatch). */
  onKeyspacesRequest(observer: (outcome: CqlRequestOutcome) => void): void;
  /** Tells the observer of every DynamoDB, SQS and SNS call a function makes, once answered (for CloudWatch). */
  onProxiedCall(observer: (call: ProxiedCall) => void): void;
}

interface EventSourceMappingProperties {
  FunctionName: string;
  EventSourceArn: string;
  DestinationConfig?: { OnFailure?: { Destination?: string } };
}

/**
 * IAM, always enforced: the roles' ARNs, an enforcing proxy in front of every stand-in a function
 * calls (functions are given the proxies' endpoints and keys of their own), the roles' policies
 * and the queues' and topics' resource policies read from the template, and the check of each
 * `@connections` call. A template whose IAM it cannot enforce, or an event source mapping whose
 * role cannot read its source, stops the start.
 */
export class IamService implements CloudService {
  readonly name = 'iam';
  private iam?: LocalIam;
  private readonly proxies: Record<string, string> = {};
  private accessKeys?: Record<string, string>;

  readonly resourceTypes = {
    'AWS::IAM::Role': ({ physicalName }: DefinedResource) => ({
      ref: physicalName,
      attributes: { Arn: arn('iam', `role/${physicalName}`, '') },
    }),
  };

  async interpose({ endpoints, log }: LaunchContext): Promise<void> {
    const iam = new LocalIam(log);
    this.iam = iam;
    for (const [service, standIn] of endpoints.published()) {
      const proxy = await iam.guard(service, standIn);
      endpoints.guard(service, proxy);
      this.proxies[service] = proxy;
    }
  }

  async start({ assembly, resolver, exposed }: CloudContext): Promise<void> {
    const iam = this.iam!;
    const [api] = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Api');
    const enforcer = iam.load(
      { resources: assembly.resources, resolve: (value) => resolver.resolve(value) },
      { region: REGION, account: ACCOUNT_ID, apiId: api && resolver.resolveString({ Ref: api[0] }) },
    );
    const missing = resourcesOfType(assembly, 'AWS::Lambda::EventSourceMapping').flatMap(([, resource]) => {
      const properties = resolver.resolve(resource.Properties) as EventSourceMappingProperties;
      return missingEventSourceGrants(enforcer, {
        functionRef: properties.FunctionName,
        eventSourceArn: properties.EventSourceArn,
        onFailureArn: properties.DestinationConfig?.OnFailure?.Destination,
      });
    });
    if (missing.length > 0) throw new Error(`event source mappings cannot run:\n${missing.join('\n')}`);
    this.accessKeys = Object.fromEntries(
      resourcesOfType(assembly, 'AWS::Lambda::Function').map(([logicalId]) => [logicalId, iam.credentialsFor(logicalId).AWS_ACCESS_KEY_ID]),
    );
    exposed.iam = {
      credentialsFor: (logicalId) => iam.credentialsFor(logicalId),
      check: (service, request) => iam.check(service, request),
      onKeyspacesRequest: (observer) => iam.onKeyspacesRequest(observer),
      onProxiedCall: (observer) => iam.onProxiedCall(observer),
    };
  }

  /**
   * The proxies functions call, each function's access key, and the operator's (an administrator),
   * for tools and tests acting as one of them; every secret is `local`.
   */
  describe(): Record<string, unknown> {
    return this.accessKeys ? { iam: { endpoints: this.proxies, functionAccessKeys: this.accessKeys, operatorAccessKey: OPERATOR_ACCESS_KEY_ID } } : {};
  }

  async stop(): Promise<void> {
    await this.iam?.stop();
  }
}
