import { sdkHelloWorldSource, sdkPackagesOf } from '../../../bench/scenarios/cold-start';

describe("the cold start's hello-world with the same SDK clients", () => {
  it('reads the @aws-sdk packages a minified bundle requires, once each', () => {
    const bundle = 'var a=require("@aws-sdk/client-dynamodb"),b=require("@aws-sdk/lib-dynamodb");var c=require("@aws-sdk/client-dynamodb"),d=require("cassandra-driver"),e=require(\'@aws-sdk/client-sns\');';
    expect(sdkPackagesOf(bundle)).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sns', '@aws-sdk/lib-dynamodb']);
  });

  it('creates one client of each package, the DynamoDB one inside the document client as the functions do', () => {
    const source = sdkHelloWorldSource(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sns', '@aws-sdk/credential-provider-node', '@aws-sdk/lib-dynamodb'], (pkg) =>
      ({ '@aws-sdk/client-dynamodb': 'DynamoDBClient', '@aws-sdk/client-sns': 'SNSClient' })[pkg],
    );
    const made = /const made = \[(.*)\];/.exec(source)![1];
    expect(made).toContain('new sdk1.SNSClient({})');
    expect(made).toContain('sdk2.defaultProvider()');
    expect(made).toContain('sdk3.DynamoDBDocumentClient.from(new DocumentBase3({}))');
    expect(made).not.toContain('new sdk0.DynamoDBClient');
    expect(source).toContain("export const handler");
  });
});
