import { arn } from '../account';
import type { CloudService, DefinedResource } from '../service';

/**
 * IAM: for now the roles' ARNs, which functions and policies refer to. Policies are not enforced
 * locally yet; when they are, this is where the roles' statements are read.
 */
export class IamService implements CloudService {
  readonly name = 'iam';

  readonly resourceTypes = {
    'AWS::IAM::Role': ({ physicalName }: DefinedResource) => ({
      ref: physicalName,
      attributes: { Arn: arn('iam', `role/${physicalName}`, '') },
    }),
  };

  async stop(): Promise<void> {
    // Nothing runs.
  }
}
