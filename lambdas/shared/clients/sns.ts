import { SNSClient } from '@aws-sdk/client-sns';

/** Created once per execution environment and reused by every invocation. */
export const snsClient = new SNSClient({});
