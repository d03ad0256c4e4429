import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import * as path from 'node:path';
import { resourcesOfType } from '../../assembly/cloud-assembly';
import { startDynamoDbLocal, type RunningStandIn } from '../../standins/dynamodb-local';
import { arn, LOCAL_CREDENTIALS, REGION } from '../account';
import type { CloudContext, CloudService, DefinedResource, LaunchContext } from '../service';
import { controlOf } from '../stand-in-control';
import { ensureTable, type TableProperties } from './tables';
import { DynamoDbTtlSweeper, type ExpiringTable } from './ttl-sweeper';

const TABLE = 'AWS::DynamoDB::Table';

/** What the DynamoDB service offers the services after it (the stream pollers). */
export interface DynamoDbAccess {
  readonly client: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** The table whose stream has this ARN, if it is a table of the template. */
  tableOfStream(streamArn: string): string | undefined;
}

/**
 * DynamoDB on DynamoDB Local: the template's tables (created, or checked when kept from an earlier
 * run), their streams for the Lambda pollers, and the TTL process DynamoDB Local lacks.
 */
export class DynamoDbService implements CloudService {
  readonly name = 'dynamodb';
  private standIn?: RunningStandIn;
  private client?: DynamoDBClient;
  private streams?: DynamoDBStreamsClient;
  private ttlSweeper?: DynamoDbTtlSweeper;
  /** Table names by logical id, once created. */
  private tables?: Record<string, string>;

  async launch({ assembly, config, log, logDir, endpoints }: LaunchContext): Promise<void> {
    if (resourcesOfType(assembly, TABLE).length === 0) return;
    log('starting DynamoDB Local');
    this.standIn = await startDynamoDbLocal(path.join(config.dataDir, 'dynamodb'), logDir);
    endpoints.publish('dynamodb', this.standIn.endpoint);
  }

  readonly resourceTypes = {
    [TABLE]: ({ physicalName }: DefinedResource) => ({
      ref: physicalName,
      attributes: { Arn: arn('dynamodb', `table/${physicalName}`), StreamArn: arn('dynamodb', `table/${physicalName}/stream/local`) },
    }),
  };

  async start({ assembly, resolver, config, log, exposed }: CloudContext): Promise<void> {
    if (this.standIn === undefined) return;
    const endpoint = this.standIn.endpoint;
    const client = new DynamoDBClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    this.client = client;
    const expiring: ExpiringTable[] = [];
    const tables: Record<string, string> = {};
    const tableByStreamArn = new Map<string, string>();
    const definitions: Array<{ tableName: string; properties: TableProperties }> = [];
    for (const [logicalId, resource] of resourcesOfType(assembly, TABLE)) {
      const tableName = resolver.resolveString({ Ref: logicalId });
      const properties = resolver.resolve(resource.Properties) as TableProperties;
      tables[logicalId] = tableName;
      tableByStreamArn.set(resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'StreamArn'] }), tableName);
      definitions.push({ tableName, properties });
      if (properties.TimeToLiveSpecification?.Enabled) {
        expiring.push({
          tableName,
          ttlAttribute: properties.TimeToLiveSpecification.AttributeName,
          keyAttributes: (properties.KeySchema ?? []).map((key) => key.AttributeName!),
        });
      }
    }
    const provision = async () => {
      for (const { tableName, properties } of definitions) await ensureTable(client, tableName, properties);
    };
    await provision();
    if (expiring.length > 0) {
      this.ttlSweeper = new DynamoDbTtlSweeper(client, expiring, log);
      this.ttlSweeper.start(config.ttlSweepSeconds * 1000);
    }
    this.tables = tables;
    this.streams = new DynamoDBStreamsClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    exposed.dynamodb = { client, streams: this.streams, tableOfStream: (streamArn) => tableByStreamArn.get(streamArn) };
    exposed.standIns = { ...exposed.standIns, dynamodb: controlOf(this.standIn.service, provision) };
  }

  describe(): Record<string, unknown> {
    return this.standIn && this.tables ? { dynamodb: { endpoint: this.standIn.endpoint, tables: this.tables } } : {};
  }

  async stop(): Promise<void> {
    await this.ttlSweeper?.stop();
    this.streams?.destroy();
    this.client?.destroy();
    await this.standIn?.service.stop();
  }
}
