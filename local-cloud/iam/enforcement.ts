/**
 * IAM for the whole local cloud in one call: an enforcing proxy before each stand-in functions
 * call (DynamoDB Local, ElasticMQ, the SNS stand-in, Cassandra for Keyspaces), and each
 * function's environment pointing its SDK clients and its Keyspaces driver at them, signed with
 * its own access key. The local cloud's own clients (provisioning, pollers) keep talking to the
 * stand-ins directly, as AWS's services do not go through a function's IAM.
 */
import type { ServicePlacement } from './classify';
import { startCqlIamProxy, type RunningCqlIamProxy } from './cql-proxy';
import { IamEnforcer } from './enforcer';
import type { TemplateView } from './principals';
import { startIamProxy, type RunningIamProxy } from './proxy';

export interface IamEnforcementOptions {
  readonly template: TemplateView;
  readonly placement: ServicePlacement;
  /** Where each stand-in listens: `http://…` URLs, and Cassandra's `host:port`. */
  readonly standIns: { readonly dynamodb?: string; readonly sqs?: string; readonly sns?: string; readonly cassandra?: string };
  readonly log: (message: string) => void;
}

export interface RunningIamEnforcement {
  readonly enforcer: IamEnforcer;
  /** Where functions' calls go, service by service; SQS queue URLs must name this host too. */
  readonly endpoints: { readonly dynamodb?: string; readonly sqs?: string; readonly sns?: string; readonly keyspaces?: string };
  /** A function's credentials and `AWS_ENDPOINT_URL_<SERVICE>` variables. */
  functionEnvironment(functionLogicalId: string): Record<string, string>;
  stop(): Promise<void>;
}

/** Reads the template's IAM (throwing on what it cannot enforce) and starts the proxies. */
export async function startIamEnforcement(options: IamEnforcementOptions): Promise<RunningIamEnforcement> {
  const enforcer = IamEnforcer.fromTemplate(options.template, options.placement);
  const running: Array<RunningIamProxy | RunningCqlIamProxy> = [];
  const endpoints: Record<string, string> = {};
  try {
    for (const service of ['dynamodb', 'sqs', 'sns'] as const) {
      const upstream = options.standIns[service];
      if (upstream === undefined) continue;
      const proxy = await startIamProxy({ upstream, service, enforcer, log: options.log });
      running.push(proxy);
      endpoints[service] = proxy.endpoint;
    }
    if (options.standIns.cassandra !== undefined) {
      const proxy = await startCqlIamProxy({ upstream: options.standIns.cassandra, enforcer, ...options.placement, log: options.log });
      running.push(proxy);
      endpoints.keyspaces = proxy.endpoint;
    }
  } catch (error) {
    await Promise.allSettled(running.map((proxy) => proxy.stop()));
    throw error;
  }
  const variables: Record<string, string> = {
    ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
    ...(endpoints.sqs ? { AWS_ENDPOINT_URL_SQS: endpoints.sqs } : {}),
    ...(endpoints.sns ? { AWS_ENDPOINT_URL_SNS: endpoints.sns } : {}),
    ...(endpoints.keyspaces ? { AWS_ENDPOINT_URL_KEYSPACES: endpoints.keyspaces } : {}),
  };
  return {
    enforcer,
    endpoints,
    functionEnvironment: (functionLogicalId) => ({ ...variables, ...enforcer.credentialsFor(functionLogicalId) }),
    stop: async () => {
      await Promise.allSettled(running.map((proxy) => proxy.stop()));
    },
  };
}
