/**
 * `npm run redrive -- <dead-letter queue>`: moves a dead-letter queue's messages back to their
 * source queue, on AWS or (with LOCAL_CLOUD_URL) on the local cloud. See `USAGE`.
 */
import { parseRedriveArguments, USAGE, UsageError } from './arguments';
import { redrive } from './move-task';
import { queueNameOf, resolveQueue, stackQueues } from './queues';

async function main(): Promise<number> {
  let request;
  try {
    request = parseRedriveArguments(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`redrive: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (request === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { sqs, byLogicalId } = await stackQueues(request.target);
  try {
    const queueUrl = resolveQueue(request.queue, byLogicalId);
    const moved = await redrive(sqs, queueUrl, { ...request, log: (line) => console.log(line) });
    console.log(`moved ${moved} messages from ${queueNameOf(queueUrl)}`);
    return 0;
  } finally {
    sqs.destroy();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(`redrive: ${error.message}`);
    process.exitCode = 1;
  },
);
