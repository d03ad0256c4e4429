/** The whole wiring: a function's calls go through the enforcing proxy, signed with its own key. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalIam } from '../../../../../local-cloud/services/iam/enforcement';
import { startCaptureServer, type CaptureServer } from './capture-server';
import { ACCOUNT, API_ID, logicalIdOf, messengerResources, REGION, STACK, templateView } from './stack-template';

const resources = messengerResources();
let standIn: CaptureServer;
let iam: LocalIam;
const endpoints: Record<string, string> = {};

beforeAll(async () => {
  standIn = await startCaptureServer();
  iam = new LocalIam(() => undefined);
  endpoints.dynamodb = await iam.guard('dynamodb', standIn.endpoint);
  endpoints.sqs = await iam.guard('sqs', standIn.endpoint);
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
  it('refuses every call until the template is loaded, and refuses to load what it cannot enforce', async () => {
    const chatId = logicalIdOf(resources, 'AWS::Lambda::Function', 'ChatActions');
    expect(() => iam.credentialsFor(chatId)).toThrow(/not loaded yet/);
    const anyone = clientOf({ AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb, AWS_ACCESS_KEY_ID: 'LOCALx', AWS_SECRET_ACCESS_KEY: 'local' });
    await expect(anyone.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(standIn.requests).toHaveLength(0);

    const unsupported = structuredClone(resources);
    unsupported[logicalIdOf(resources, 'AWS::IAM::Role', 'ConnectRole')].Properties!.ManagedPolicyArns = ['arn:aws:iam::aws:policy/AdministratorAccess'];
    expect(() => iam.load(templateView(unsupported), { region: REGION, account: ACCOUNT })).toThrow(/AdministratorAccess/);
  });

  it("gives each function its own key, and decides its calls by its own role", async () => {
    iam.load(templateView(resources), { region: REGION, account: ACCOUNT, apiId: API_ID });
    const chat = { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb, ...iam.credentialsFor(logicalIdOf(resources, 'AWS::Lambda::Function', 'ChatActions')) };
    const devices = { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb, ...iam.credentialsFor(logicalIdOf(resources, 'AWS::Lambda::Function', 'PushDevices')) };
    expect(endpoints.dynamodb).not.toBe(standIn.endpoint);
    expect(chat.AWS_ACCESS_KEY_ID).not.toBe(devices.AWS_ACCESS_KEY_ID);
    const threads = `${STACK}-${logicalIdOf(resources, 'AWS::DynamoDB::Table', 'ChatThreads')}`;
    standIn.requests.length = 0;
    await clientOf(chat).send(new GetItemCommand({ TableName: threads, Key: { pk: { S: 'a' } } }));
    expect(standIn.requests).toHaveLength(1);
    await expect(clientOf(devices).send(new GetItemCommand({ TableName: threads, Key: { pk: { S: 'a' } } }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(standIn.requests).toHaveLength(1);
  });
});
