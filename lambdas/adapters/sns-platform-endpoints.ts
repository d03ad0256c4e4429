import {
  CreatePlatformEndpointCommand,
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  InvalidParameterException,
  NotFoundException,
  SetEndpointAttributesCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { PlatformEndpoints } from '../domain/push-registration';
import type { PushPlatform } from '../domain/push';

/** SNS names the existing endpoint when a token is registered again with other attributes. */
const EXISTING_ENDPOINT = /Endpoint (arn:aws[\w-]*:sns:\S+) already exists/;

/** SNS mobile push platform endpoints, one per device token, tagged with the user they notify. */
export class SnsPlatformEndpoints implements PlatformEndpoints {
  constructor(
    private readonly client: SNSClient,
    private readonly applications: Partial<Record<PushPlatform, string>>,
  ) {}

  supports(platform: PushPlatform): boolean {
    return this.applications[platform] !== undefined;
  }

  async claim(platform: PushPlatform, token: string, userId: string): Promise<{ endpointArn: string; previousUserId?: string }> {
    const application = this.applications[platform]!;
    let endpointArn: string;
    try {
      const created = await this.client.send(
        new CreatePlatformEndpointCommand({ PlatformApplicationArn: application, Token: token, CustomUserData: userId }),
      );
      endpointArn = created.EndpointArn!;
    } catch (error) {
      const existing = error instanceof InvalidParameterException ? EXISTING_ENDPOINT.exec(error.message)?.[1] : undefined;
      if (existing === undefined) throw error;
      endpointArn = existing;
    }
    const { Attributes = {} } = await this.client.send(new GetEndpointAttributesCommand({ EndpointArn: endpointArn }));
    if (Attributes.CustomUserData !== userId || Attributes.Enabled !== 'true') {
      await this.client.send(
        new SetEndpointAttributesCommand({ EndpointArn: endpointArn, Attributes: { CustomUserData: userId, Enabled: 'true' } }),
      );
    }
    const previous = Attributes.CustomUserData;
    return { endpointArn, ...(previous && previous !== userId ? { previousUserId: previous } : {}) };
  }

  async remove(endpointArn: string): Promise<void> {
    try {
      await this.client.send(new DeleteEndpointCommand({ EndpointArn: endpointArn }));
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }
}
