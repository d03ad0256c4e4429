/** Hears how many environments of a function are running an invocation, each time that changes. */
export type ConcurrencyObserver = (change: { readonly functionName: string; readonly busy: number; readonly at: number }) => void;

/** The observers of the functions' concurrency (CloudWatch's ConcurrentExecutions). */
export class ConcurrencyEvents {
  private readonly observers: ConcurrencyObserver[] = [];

  observe(observer: ConcurrencyObserver): void {
    this.observers.push(observer);
  }

  report(functionName: string, busy: number): void {
    const at = Date.now();
    for (const observer of this.observers) observer({ functionName, busy, at });
  }
}
