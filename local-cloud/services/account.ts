/** The one AWS account and region the local cloud pretends to be. */
export const REGION = 'us-east-1';
export const ACCOUNT_ID = '000000000000';

/** Credentials for the stand-ins, which accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** An ARN in the local account; `region: ''` for global services such as IAM. */
export function arn(service: string, resource: string, region: string = REGION): string {
  return `arn:aws:${service}:${region}:${ACCOUNT_ID}:${resource}`;
}
