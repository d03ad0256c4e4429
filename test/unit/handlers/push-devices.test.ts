import { CreatePlatformEndpointCommand, DeleteEndpointCommand, GetEndpointAttributesCommand, SetEndpointAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { deviceKeyOf } from '../../../lambdas/domain/push-registration';
import { admitEveryCharge } from '../../support/budget-mocks';
import { lambdaContext, messageEvent } from '../../support/lambda-events';

// This deployment has an FCM application and none for APNs; the handler reads that when loaded.
const FCM_APPLICATION = 'arn:aws:sns:us-east-1:123456789012:app/GCM/messenger-fcm';
process.env.FCM_PLATFORM_APPLICATION_ARN = FCM_APPLICATION;
delete process.env.APNS_PLATFORM_APPLICATION_ARN;
const { handler } = require('../../../lambdas/handlers/push-devices') as typeof import('../../../lambdas/handlers/push-devices');

const dynamodb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const ENDPOINT = 'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/messenger-fcm/1';

beforeEach(() => {
  dynamodb.reset();
  sns.reset();
  dynamodb.on(PutCommand).resolves({});
  dynamodb.on(DeleteCommand).resolves({});
  // The user's devices after the registration: within the cap unless a test says otherwise.
  dynamodb.on(QueryCommand).resolves({ Items: [] });
  admitEveryCharge(dynamodb);
  sns.on(CreatePlatformEndpointCommand).resolves({ EndpointArn: ENDPOINT });
  sns.on(DeleteEndpointCommand).resolves({});
  sns.on(SetEndpointAttributesCommand).resolves({});
});

const invoke = async (frame: object, userId = 'bob') => {
  const result = await handler(messageEvent(JSON.stringify(frame), userId, `${userId}-conn=`) as never, lambdaContext);
  return JSON.parse(result.body) as Record<string, unknown>;
};

describe('registerPush', () => {
  it("creates the token's endpoint for the user and records the device", async () => {
    sns.on(GetEndpointAttributesCommand).resolves({ Attributes: { CustomUserData: 'bob', Enabled: 'true' } });

    expect(await invoke({ action: 'registerPush', reqId: 'r10', platform: 'fcm', token: 'tok-1' })).toEqual({ type: 'pushRegistered', reqId: 'r10' });

    expect(sns).toHaveReceivedCommandWith(CreatePlatformEndpointCommand, { PlatformApplicationArn: FCM_APPLICATION, Token: 'tok-1', CustomUserData: 'bob' });
    expect(dynamodb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'push-devices',
      Item: { userId: 'bob', deviceKey: deviceKeyOf('fcm', 'tok-1'), platform: 'fcm', token: 'tok-1', endpointArn: ENDPOINT, registeredAt: expect.any(Number) },
    });
    expect(dynamodb).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('takes a token over from its former holder: the endpoint is re-tagged and their record removed', async () => {
    sns.on(GetEndpointAttributesCommand).resolves({ Attributes: { CustomUserData: 'alice', Enabled: 'false' } });

    await invoke({ action: 'registerPush', platform: 'fcm', token: 'handed-on' }, 'carol');

    expect(sns).toHaveReceivedCommandWith(SetEndpointAttributesCommand, { EndpointArn: ENDPOINT, Attributes: { CustomUserData: 'carol', Enabled: 'true' } });
    expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, { TableName: 'push-devices', Key: { userId: 'alice', deviceKey: deviceKeyOf('fcm', 'handed-on') } });
    expect(dynamodb).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ userId: 'carol' }) });
  });

  it('answers bad_request for a platform this deployment has no application for, creating nothing', async () => {
    expect(await invoke({ action: 'registerPush', platform: 'apns', token: 'tok' })).toMatchObject({ type: 'error', code: 'bad_request', message: /apns push is not configured/ });
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(dynamodb).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers bad_request to a token with spaces, creating nothing', async () => {
    expect(await invoke({ action: 'registerPush', platform: 'fcm', token: 'two words' })).toMatchObject({ code: 'bad_request', message: /token/ });
    expect(sns).not.toHaveReceivedAnyCommand();
  });
});

describe('unregisterPush', () => {
  it("deletes the user's record of the device and its endpoint", async () => {
    dynamodb.on(DeleteCommand).resolves({ Attributes: { endpointArn: ENDPOINT } });

    expect(await invoke({ action: 'unregisterPush', reqId: 'r11', platform: 'fcm', token: 'tok-1' })).toEqual({ type: 'pushUnregistered', reqId: 'r11' });

    expect(dynamodb).toHaveReceivedCommandWith(DeleteCommand, { TableName: 'push-devices', Key: { userId: 'bob', deviceKey: deviceKeyOf('fcm', 'tok-1') } });
    expect(sns).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointArn: ENDPOINT });
  });

  it('answers the same, deleting no endpoint, for a device never registered', async () => {
    expect(await invoke({ action: 'unregisterPush', platform: 'fcm', token: 'never' })).toEqual({ type: 'pushUnregistered' });
    expect(sns).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });
});
