/**
 * What the WebSocket API did, as API Gateway counts it for CloudWatch (times are epoch ms):
 * a `$connect` integration call, a message from or to a client, a request refused with a 4XX
 * before any integration ran, and each integration call with its latency and how it ended.
 */
export type GatewayTrafficEvent =
  | { readonly kind: 'connect'; readonly at: number }
  | { readonly kind: 'message'; readonly at: number }
  | { readonly kind: 'client-error'; readonly at: number }
  | {
      readonly kind: 'integration';
      readonly at: number;
      readonly latencyMs: number;
      /**
       * `integration-error`: the function failed or answered a 4XX/5XX status; `execution-error`:
       * API Gateway could not get an answer (invocation refused, integration timeout).
       */
      readonly outcome: 'answered' | 'integration-error' | 'execution-error';
    };

/** The observers of one WebSocket API's traffic. */
export class GatewayTraffic {
  private readonly observers: Array<(event: GatewayTrafficEvent) => void> = [];

  observe(observer: (event: GatewayTrafficEvent) => void): void {
    this.observers.push(observer);
  }

  emit(event: GatewayTrafficEvent): void {
    for (const observer of this.observers) observer(event);
  }
}
