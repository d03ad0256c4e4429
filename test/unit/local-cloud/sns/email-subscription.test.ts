import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TemplateResource } from '../../../../local-cloud/assembly/cloud-assembly';
import { IntrinsicResolver } from '../../../../local-cloud/assembly/intrinsics';
import { localCloudConfigFromEnv } from '../../../../local-cloud/config';
import { ServiceEndpoints } from '../../../../local-cloud/services/endpoints';
import { SnsService } from '../../../../local-cloud/services/sns/module';

/** The SNS service started on a template of one topic and one subscription of the given protocol. */
async function startWith(protocol: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sns-email-'));
  const resources = new Map<string, TemplateResource>([
    ['AlarmTopic', { Type: 'AWS::SNS::Topic', Properties: {} }],
    ['AlarmSubscription', { Type: 'AWS::SNS::Subscription', Properties: { Protocol: protocol, Endpoint: 'ops@example.com', TopicArn: { Ref: 'AlarmTopic' } } }],
  ]);
  const assembly = { stackName: 'Messenger', resources, assetDirectory: () => '' };
  const logged: string[] = [];
  const config = localCloudConfigFromEnv({ LOCAL_DATA_DIR: dataDir });
  const launch = { config, log: (line: string) => logged.push(line), baseUrl: 'http://127.0.0.1:8080', logDir: dataDir, assembly, endpoints: new ServiceEndpoints() };
  const sns = new SnsService();
  await sns.launch(launch);
  const resolver = new IntrinsicResolver({ region: 'us-east-1', accountId: '000000000000', partition: 'aws', urlSuffix: 'amazonaws.com', stackName: 'Messenger' });
  for (const [logicalId, resource] of resources) {
    resolver.define(logicalId, sns.resourceTypes[resource.Type as keyof typeof sns.resourceTypes]({ logicalId, resource, physicalName: `Messenger-${logicalId}` }));
  }
  const started = sns.start({ ...launch, resolver, exposed: {} });
  return { sns, logged, started };
}

describe('SNS email subscriptions on the local cloud', () => {
  it('accepts the alarm topic subscription of an address, and says that no mail goes out', async () => {
    const { sns, logged, started } = await startWith('email');
    try {
      await expect(started).resolves.toBeUndefined();
      expect(logged).toContainEqual(expect.stringMatching(/AlarmSubscription: email to ops@example.com is not sent locally/));
    } finally {
      await sns.stop();
    }
  });

  it('still refuses protocols it cannot run', async () => {
    const { sns, started } = await startWith('sqs');
    try {
      await expect(started).rejects.toThrow(/uses sqs; only lambda subscriptions run locally/);
    } finally {
      await sns.stop();
    }
  });
});
