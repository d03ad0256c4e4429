import { ListQueuesCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Target } from './arguments';

/** An SQS client for the target, and the URLs of its stack's queues by logical id. */
export interface StackQueues {
  readonly sqs: SQSClient;
  readonly byLogicalId: Readonly<Record<string, string>>;
}

/** What `/dev/stand-ins` says of SQS: its queues by logical id, and the IAM proxy an operator calls it through. */
interface LocalStandIns {
  sqs?: { queues?: Record<string, string> };
  iam?: { endpoints?: { sqs?: string }; operatorAccessKey?: string };
}

async function localQueues(baseUrl: string): Promise<StackQueues> {
  let standIns: LocalStandIns;
  try {
    const response = await fetch(`${baseUrl}/dev/stand-ins`);
    if (!response.ok) throw new Error(`it answered ${response.status}`);
    standIns = (await response.json()) as LocalStandIns;
  } catch (error) {
    throw new Error(`cannot read the local cloud's stand-ins at ${baseUrl}/dev/stand-ins: ${(error as Error).message}`);
  }
  const endpoint = standIns.iam?.endpoints?.sqs;
  const accessKeyId = standIns.iam?.operatorAccessKey;
  if (!standIns.sqs?.queues || !endpoint || !accessKeyId) throw new Error(`the local cloud at ${baseUrl} runs no SQS`);
  // As the operator, through the IAM proxy the functions call, so that IAM is enforced as on AWS.
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'local' } });
  return { sqs, byLogicalId: standIns.sqs.queues };
}

/**
 * The account's queues that CloudFormation created for the stack: it tags each with the stack's
 * name and the resource's logical id, so SQS alone can tell them apart.
 */
async function awsQueues(stackName: string): Promise<StackQueues> {
  const sqs = new SQSClient({});
  const byLogicalId: Record<string, string> = {};
  let NextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken }));
    for (const url of page.QueueUrls ?? []) {
      const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
      const logicalId = Tags['aws:cloudformation:logical-id'];
      if (Tags['aws:cloudformation:stack-name'] === stackName && logicalId) byLogicalId[logicalId] = url;
    }
    NextToken = page.NextToken;
  } while (NextToken);
  if (Object.keys(byLogicalId).length === 0) throw new Error(`no queue of this account and region belongs to a stack named ${stackName}`);
  return { sqs, byLogicalId };
}

export function stackQueues(target: Target): Promise<StackQueues> {
  return target.kind === 'local' ? localQueues(target.baseUrl) : awsQueues(target.stackName);
}

/** `https://host/ACCOUNT/NAME` to NAME. */
export const queueNameOf = (url: string): string => new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';

/** The URL of the stack's queue that `queue` names: by URL, by name, or by a logical id or a unique prefix of it. */
export function resolveQueue(queue: string, byLogicalId: Readonly<Record<string, string>>): string {
  const entries = Object.entries(byLogicalId);
  const name = /^https?:\/\//.test(queue) ? queueNameOf(queue) : queue;
  const byName = entries.find(([, url]) => queueNameOf(url) === name);
  if (byName) return byName[1];
  const known = entries.map(([logicalId]) => logicalId).sort().join(', ');
  if (name !== queue) throw new Error(`no queue of the stack has the URL ${queue}; its queues: ${known}`);
  const exact = byLogicalId[queue];
  if (exact) return exact;
  const matches = entries.filter(([logicalId]) => logicalId.startsWith(queue));
  if (matches.length === 1) return matches[0][1];
  if (matches.length === 0) throw new Error(`no queue of the stack is named ${queue} or has a logical id starting with it; its queues: ${known}`);
  throw new Error(`${queue} is the start of several queues' logical ids (${matches.map(([logicalId]) => logicalId).join(', ')}): name one`);
}
