import * as path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { freePort, JavaService, resolveClasspath, StandInError } from './java-service';

export interface RunningStandIn {
  readonly service: JavaService;
  /** The endpoint the AWS SDK talks to. */
  readonly endpoint: string;
  /** Operator ports beside it, such as Cassandra's JMX port for nodetool. */
  readonly adminPorts?: Readonly<Record<string, number>>;
}

/** DynamoDB Local, keeping its data in `dataDir` across restarts. */
export async function startDynamoDbLocal(dataDir: string, logDir: string): Promise<RunningStandIn> {
  const classpath = await resolveClasspath('dynamodb');
  const nativeLib = classpath.find((jar) => /libsqlite4java-linux-amd64-.*\.so$/.test(jar));
  if (nativeLib === undefined) {
    throw new StandInError('dynamodb', 'Maven did not resolve the sqlite4java native library for linux-amd64');
  }
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const service = await JavaService.start({
    name: 'dynamodb',
    classpath: classpath.filter((jar) => jar.endsWith('.jar')),
    mainClass: 'com.amazonaws.services.dynamodbv2.local.main.ServerRunner',
    jvmArgs: ['-Xmx512m', `-Djava.library.path=${path.dirname(nativeLib)}`],
    args: ['-port', String(port), '-dbPath', dataDir, '-sharedDb', '-disableTelemetry'],
    readyPort: port,
    startTimeoutMs: 60_000,
    logFile: path.join(logDir, 'dynamodb.log'),
  });
  return { service, endpoint: `http://127.0.0.1:${port}` };
}
