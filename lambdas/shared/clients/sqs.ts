import { SQSClient } from '@aws-sdk/client-sqs';

/** Created once per execution environment and reused by every invocation. */
export const sqsClient = new SQSClient({});
