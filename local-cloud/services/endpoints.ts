/** The AWS services a stand-in can answer for, by the SDK's name for their endpoint variable. */
const ENDPOINT_VARIABLES = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  sqs: 'AWS_ENDPOINT_URL_SQS',
  keyspaces: 'AWS_ENDPOINT_URL_KEYSPACES',
  sns: 'AWS_ENDPOINT_URL_SNS',
} as const;

export type EndpointService = keyof typeof ENDPOINT_VARIABLES;

/**
 * Where each stand-in listens, and which endpoint a function is given for each AWS service: the
 * one place that decides both. A service module publishes its stand-in's endpoint here when it
 * launches; IAM places its enforcing proxy in front of each (`guard`), and from then on functions
 * are given the proxy, while the local cloud's own clients keep the stand-in.
 */
export class ServiceEndpoints {
  private readonly standIns = new Map<EndpointService, string>();
  private readonly guards = new Map<EndpointService, string>();

  publish(service: EndpointService, endpoint: string): void {
    this.standIns.set(service, endpoint);
  }

  /** The services whose stand-in has been published, with where each listens. */
  published(): ReadonlyMap<EndpointService, string> {
    return this.standIns;
  }

  /** Puts a proxy in front of a published stand-in: functions call the proxy instead. */
  guard(service: EndpointService, proxyEndpoint: string): void {
    if (!this.standIns.has(service)) throw new Error(`no ${service} stand-in to guard`);
    this.guards.set(service, proxyEndpoint);
  }

  /** Where the stand-in itself listens, for the local cloud's own clients; undefined if not started. */
  standIn(service: EndpointService): string | undefined {
    return this.standIns.get(service);
  }

  /**
   * The endpoint functions are given for a service: its IAM proxy. A stand-in nothing guards is
   * never handed to a function, so that no call of a function bypasses its role.
   */
  functionEndpoint(service: EndpointService): string | undefined {
    if (this.standIns.has(service) && !this.guards.has(service)) throw new Error(`the ${service} stand-in has no IAM proxy in front of it`);
    return this.guards.get(service);
  }

  /** The `AWS_ENDPOINT_URL_*` variables every function's environment gets, for the services started. */
  functionEnvironment(): Record<string, string> {
    const environment: Record<string, string> = {};
    for (const [service, variable] of Object.entries(ENDPOINT_VARIABLES) as Array<[EndpointService, string]>) {
      const endpoint = this.functionEndpoint(service);
      if (endpoint !== undefined) environment[variable] = endpoint;
    }
    return environment;
  }
}
