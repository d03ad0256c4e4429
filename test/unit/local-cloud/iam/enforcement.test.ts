/** The whole wiring: a function's environment sends its calls through the enforcing proxy, as itself. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startIamEnforcement, type RunningIamEnforcement } from '../../../../local-cloud/iam/enforcement';
import { startCaptureServer, type CaptureServer } from './capture-server';
import { ACCOUNT, API_ID, logicalIdOf, messengerResources, REGION, STACK, templateView } from './stack-template';

const resources = messengerResources();
let standIn: CaptureServer;
let iam: RunningIamEnforcement;

beforeAll(async () => {
  standIn = await startCaptureServer();
  iam = await startIamEnforcement({
    template: templateView(resources),
    placement: { region: REGION, account: ACCOUNT, apiId: API_ID },
    standIns: { dynamodb: standIn.endpoint, sqs: standIn.endpoint },
    log: () => undefined,
  });
});
afterAll(async () => {
  await iam.stop();
  await standIn.close();
});

/** A DynamoDB client configured from nothing but a function's environment, as the SDK in Lambda is. */
function clientOf(environment: Record<string, string>): DynamoDBClient {
  return new DynamoDBClient({
    region: REGION,
    endpoint: environment.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: { accessKeyId: environment.AWS_ACCESS_KEY_ID, secretAccessKey: environment.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 1,
  });
}

describe('IAM enforcement for the local cloud', () => {
  it("gives each function its own key and the proxies' endpoints, and decides its calls by its own role", async () => {
    const chat = iam.functionEnvironment(logicalIdOf(resources, 'AWS::Lambda::Function', 'ChatActions'));
    const devices = iam.functionEnvironment(logicalIdOf(resources, 'AWS::Lambda::Function', 'PushDevices'));
    expect(chat).toMatchObject({ AWS_ENDPOINT_URL_DYNAMODB: iam.endpoints.dynamodb, AWS_ENDPOINT_URL_SQS: iam.endpoints.sqs });
    expect(chat.AWS_ENDPOINT_URL_DYNAMODB).not.toBe(standIn.endpoint);
    expect(chat.AWS_ACCESS_KEY_ID).not.toBe(devices.AWS_ACCESS_KEY_ID);

    const threads = `${STACK}-${logicalIdOf(resources, 'AWS::DynamoDB::Table', 'ChatThreads')}`;
    standIn.requests.length = 0;
    await clientOf(chat).send(new GetItemCommand({ TableName: threads, Key: { pk: { S: 'a' } } }));
    expect(standIn.requests).toHaveLength(1);
    await expect(clientOf(devices).send(new GetItemCommand({ TableName: threads, Key: { pk: { S: 'a' } } }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(standIn.requests).toHaveLength(1);
  });
});
