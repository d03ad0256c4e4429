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
 * starts; the Lambda runtime takes the functions' endpoints from `functionEnvironment()`. (A proxy
 * placed in front of a stand-in changes what `functionEndpoint` answers, and nothing else.)
 */
export class ServiceEndpoints {
  private readonly standIns = new Map<EndpointService, string>();

  publish(service: EndpointService, endpoint: string): void {
    this.standIns.set(service, endpoint);
  }

  /** Where the stand-in itself listens, for the local cloud's own clients; undefined if not started. */
  standIn(service: EndpointService): string | undefined {
    return this.standIns.get(service);
  }

  /** The endpoint functions are given for a service. */
  functionEndpoint(service: EndpointService): string | undefined {
    return this.standIns.get(service);
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
