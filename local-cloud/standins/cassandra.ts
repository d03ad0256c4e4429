import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { freePort, JavaService, QUICK_JIT, resolveClasspath, StandInError } from './java-service';
import type { RunningStandIn } from './dynamodb-local';

/** The module flags of Cassandra 5.0's `conf/jvm17-server.options` (its tools, such as nodetool, need them too). */
export const JDK17_MODULE_FLAGS = [
  '--add-exports', 'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports', 'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports', 'java.sql/java.sql=ALL-UNNAMED',
  '--add-exports', 'java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports', 'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports', 'jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports', 'jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens', 'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens', 'java.base/java.io=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens', 'jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED',
];

function cassandraYaml(storagePort: number, nativePort: number): string {
  // A single node on loopback; every key must be one Cassandra 5.0 knows, or it refuses to start.
  return `cluster_name: messenger-local
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
num_tokens: 1
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${storagePort}
native_transport_port: ${nativePort}
start_native_transport: true
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1"
commitlog_sync: periodic
commitlog_sync_period: 10s
commitlog_segment_size: 8MiB
auto_snapshot: false
memtable_allocation_type: heap_buffers
disk_access_mode: standard
cdc_enabled: false
`;
}

const LOGBACK = `<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %level %logger{0} %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="OUT"/></root>
  <logger name="org.apache.cassandra.service.CassandraDaemon" level="INFO"/>
</configuration>
`;

/**
 * Apache Cassandra 5.0, the stand-in for Amazon Keyspaces, as one node whose data lives in
 * `dataDir` across restarts. `endpoint` is `host:port` of the native protocol.
 */
export async function startCassandra(dataDir: string, logDir: string): Promise<RunningStandIn> {
  const classpath = await resolveClasspath('cassandra');
  const jamm = classpath.find((jar) => /[/\\]jamm-[^/\\]*\.jar$/.test(jar));
  if (jamm === undefined) throw new StandInError('cassandra', 'Maven did not resolve the jamm agent jar');

  const confDir = path.join(dataDir, 'conf');
  await mkdir(confDir, { recursive: true });
  const [storagePort, nativePort, jmxPort] = [await freePort(), await freePort(), await freePort()];
  const yamlPath = path.join(confDir, 'cassandra.yaml');
  const logbackPath = path.join(confDir, 'logback.xml');
  await writeFile(yamlPath, cassandraYaml(storagePort, nativePort));
  await writeFile(logbackPath, LOGBACK);

  const service = await JavaService.start({
    name: 'cassandra',
    classpath,
    mainClass: 'org.apache.cassandra.service.CassandraDaemon',
    jvmArgs: [
      '-Xms512m', '-Xmx1g', '-XX:+UseG1GC', QUICK_JIT, '-XX:+ExitOnOutOfMemoryError',
      `-javaagent:${jamm}`,
      '-Djdk.attach.allowAttachSelf=true',
      ...JDK17_MODULE_FLAGS,
      '-Dio.netty.tryReflectionSetAccessible=true',
      `-Dcassandra.config=file://${yamlPath}`,
      `-Dcassandra.storagedir=${dataDir}`,
      '-Dcassandra-foreground=yes',
      '-Dcassandra.skip_wait_for_gossip_to_settle=0',
      `-Dcassandra.jmx.local.port=${jmxPort}`,
      `-Dlogback.configurationFile=${logbackPath}`,
    ],
    args: [],
    readyPort: nativePort,
    startTimeoutMs: 180_000,
    logFile: path.join(logDir, 'cassandra.log'),
  });
  return { service, endpoint: `127.0.0.1:${nativePort}`, adminPorts: { jmx: jmxPort } };
}
