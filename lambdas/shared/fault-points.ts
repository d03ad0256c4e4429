/**
 * Named points in a function's code where the local cloud's fault injector can kill the execution
 * environment, to prove that work after that point survives the function's death (docs/local-cloud.md,
 * "Faults"). The local Lambda runtime installs the hook; on AWS nothing does, and a point costs one
 * property read.
 */
export function faultPoint(name: string): void {
  (globalThis as { __localCloudFaultPoint?: (name: string) => void }).__localCloudFaultPoint?.(name);
}
