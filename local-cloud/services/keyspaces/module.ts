import * as path from 'node:path';
import { resourcesOfType } from '../../assembly/cloud-assembly';
import { startCassandra } from '../../standins/cassandra';
import type { RunningStandIn } from '../../standins/dynamodb-local';
import type { CloudContext, CloudService, DefinedResource, LaunchContext } from '../service';
import { controlOf } from '../stand-in-control';
import { ensureKeyspaces, type CassandraTableProperties } from './keyspaces';

const KEYSPACE = 'AWS::Cassandra::Keyspace';
const TABLE = 'AWS::Cassandra::Table';

/** Amazon Keyspaces on a single Cassandra node: the template's keyspaces and tables. */
export class KeyspacesService implements CloudService {
  readonly name = 'keyspaces';
  private standIn?: RunningStandIn;
  private tables?: string[];

  async launch({ assembly, config, log, logDir, endpoints }: LaunchContext): Promise<void> {
    if (resourcesOfType(assembly, KEYSPACE).length === 0) return;
    log('starting Cassandra (Keyspaces)');
    this.standIn = await startCassandra(path.join(config.dataDir, 'cassandra'), logDir);
    endpoints.publish('keyspaces', this.standIn.endpoint);
  }

  readonly resourceTypes = {
    [KEYSPACE]: ({ resource, physicalName }: DefinedResource) => ({
      ref: String(resource.Properties?.KeyspaceName ?? physicalName),
      attributes: {},
    }),
    [TABLE]: ({ resource }: DefinedResource) => ({
      ref: `${String(resource.Properties?.KeyspaceName)}|${String(resource.Properties?.TableName)}`,
      attributes: {},
    }),
  };

  async start({ assembly, resolver, exposed }: CloudContext): Promise<void> {
    if (this.standIn === undefined) return;
    const { endpoint, service } = this.standIn;
    const keyspaces = resourcesOfType(assembly, KEYSPACE).map(([logicalId]) => resolver.resolveString({ Ref: logicalId }));
    const tables = resourcesOfType(assembly, TABLE).map(([, resource]) => resolver.resolve(resource.Properties) as CassandraTableProperties);
    const provision = () => ensureKeyspaces(endpoint, keyspaces, tables);
    await provision();
    exposed.standIns = { ...exposed.standIns, cassandra: controlOf(service, provision) };
    this.tables = tables.map((table) => `${table.KeyspaceName}.${table.TableName}`);
  }

  describe(): Record<string, unknown> {
    if (this.standIn === undefined) return {};
    return {
      cassandra: {
        ...(this.standIn.adminPorts ? { adminPorts: this.standIn.adminPorts } : {}),
        ...(this.tables ? { endpoint: this.standIn.endpoint, tables: this.tables } : {}),
      },
    };
  }

  async stop(): Promise<void> {
    await this.standIn?.service.stop();
  }
}
