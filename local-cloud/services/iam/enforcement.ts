/**
 * IAM for the whole local cloud: an enforcing proxy before each stand-in functions call
 * (DynamoDB Local, ElasticMQ, the SNS stand-in, Cassandra for Keyspaces), and each function's
 * own access key, so that its calls carry its role. The local cloud's own clients (provisioning,
 * pollers) keep talking to the stand-ins directly, as AWS's services do not go through a
 * function's IAM.
 */
import type { HttpRequestView, IamService, ServicePlacement } from './classify';
import { startCqlIamProxy, type RunningCqlIamProxy } from './cql-proxy';
import type { CqlRequestOutcome } from './cql-requests';
import { IamEnforcer, type EnforcerView, type Verdict } from './enforcer';
import type { TemplateView } from './principals';
import { startIamProxy, type ProxiedCall, type RunningIamProxy } from './proxy';

/** The stand-ins a proxy guards. The `@connections` API is the local cloud's own: its handler calls `check`. */
export type GuardedService = Exclude<IamService, 'execute-api'> | 'keyspaces';

export class LocalIam {
  private enforcer?: IamEnforcer;
  private readonly proxies: Array<RunningIamProxy | RunningCqlIamProxy> = [];
  /** What the proxies consult: the loaded enforcer, or a refusal of every call until it is loaded. */
  private readonly view: EnforcerView = {
    check: (service, request) => this.current().check(service, request),
    principalFor: (accessKeyId) => this.current().principalFor(accessKeyId),
    decide: (principal, action, resource) => this.current().decide(principal, action, resource),
  };

  private readonly keyspacesObservers: Array<(outcome: CqlRequestOutcome) => void> = [];
  private readonly callObservers: Array<(call: ProxiedCall) => void> = [];

  constructor(private readonly log: (message: string) => void) {}

  /** Tells the observer of every HTTP call a function made through a proxy, once answered. */
  onProxiedCall(observer: (call: ProxiedCall) => void): void {
    this.callObservers.push(observer);
  }

  /** Tells the observer of every Keyspaces request a function runs, once answered. */
  onKeyspacesRequest(observer: (outcome: CqlRequestOutcome) => void): void {
    this.keyspacesObservers.push(observer);
  }

  private current(): IamEnforcer {
    if (this.enforcer === undefined) throw new Error('IAM policies are not loaded yet');
    return this.enforcer;
  }

  /**
   * Starts a proxy before a stand-in (`http://…`, or Cassandra's `host:port` for `keyspaces`) and
   * returns where functions should call instead. SQS queue URLs must name the SQS proxy's host,
   * since the SDK sends to the queue URL's host.
   */
  async guard(service: GuardedService, upstream: string): Promise<string> {
    const proxy =
      service === 'keyspaces'
        ? await startCqlIamProxy({
            upstream,
            enforcer: this.view,
            placement: () => this.current().placement,
            log: this.log,
            observe: (outcome) => this.keyspacesObservers.forEach((observer) => observer(outcome)),
          })
        : await startIamProxy({ upstream, service, enforcer: this.view, log: this.log, observe: (call) => this.callObservers.forEach((observer) => observer(call)) });
    this.proxies.push(proxy);
    return proxy.endpoint;
  }

  /** Reads the template's IAM once its resources are defined; throws on anything it cannot enforce. */
  load(template: TemplateView, placement: ServicePlacement): IamEnforcer {
    this.enforcer = IamEnforcer.fromTemplate(template, placement);
    return this.enforcer;
  }

  /** A function's own credentials, so that its calls carry its identity. */
  credentialsFor(functionLogicalId: string): ReturnType<IamEnforcer['credentialsFor']> {
    return this.current().credentialsFor(functionLogicalId);
  }

  /** Whether a request to a service the local cloud answers itself (`execute-api`) may proceed. */
  check(service: IamService, request: HttpRequestView): Verdict {
    return this.current().check(service, request);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.proxies.map((proxy) => proxy.stop()));
  }
}
