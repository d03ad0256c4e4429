/** Hears each line a function's execution environments write to stdout or stderr. */
export type LogLineListener = (functionName: string, line: string) => void;

/**
 * The functions' output, line by line, for whoever reads their logs as CloudWatch Logs would
 * (the metrics the embedded metric format puts in them). The lines also go to the log files.
 */
export class FunctionOutput {
  private readonly listeners = new Set<LogLineListener>();

  subscribe(listener: LogLineListener): void {
    this.listeners.add(listener);
  }

  line(functionName: string, line: string): void {
    for (const listener of this.listeners) listener(functionName, line);
  }
}
