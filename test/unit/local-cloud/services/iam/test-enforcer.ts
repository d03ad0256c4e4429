/** An enforcer with one hand-written function identity, for the proxy tests. */
import { IamEnforcer } from '../../../../../local-cloud/services/iam/enforcer';
import { loadPolicy, type Statement } from '../../../../../local-cloud/services/iam/policy';

export const CALLER = { accessKeyId: 'LOCALChat', secretAccessKey: 'local' };
export const SESSION_ARN = 'arn:aws:sts::000000000000:assumed-role/Messenger-ChatRole/Messenger-Chat';

export function enforcerAllowing(statements: Statement[]): IamEnforcer {
  return new IamEnforcer(
    [
      {
        functionLogicalId: 'Chat',
        functionName: 'Messenger-Chat',
        accessKeyId: CALLER.accessKeyId,
        roleArn: 'arn:aws:iam::000000000000:role/Messenger-ChatRole',
        sessionArn: SESSION_ARN,
        policies: [loadPolicy('ChatPolicy', 'identity', { Statement: statements })],
      },
    ],
    [],
    { region: 'us-east-1', account: '000000000000', apiId: 'local' },
  );
}
