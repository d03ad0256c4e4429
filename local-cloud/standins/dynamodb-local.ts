import * as path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { freePort, JavaService, LOCAL_JVM_FLAGS, resolveClasspath, StandInError } from './java-service';

export interface RunningStandIn {
  readonly service: JavaService;
  /** The endpoint the AWS SDK talks to. */
  readonly endpoint: string;
  /** Operator ports beside it, such as Cassandra's JMX port for nodetool. */
  readonly adminPorts?: Readonly<Record<string, number>>;
}

/** DynamoDB Local's ServerRunner, started so that it listens on 127.0.0.1 only (see the file). */
const LOOPBACK_LAUNCHER = path.join(__dirname, 'java', 'LoopbackDynamoDbLocal.java');

/**
 * Allows no browser origin (`.invalid` never resolves): DynamoDB Local answers CORS requests from
 * every origin by default, so any web page open on this machine could otherwise call it.
 */
const NO_BROWSER_ORIGIN = 'https://dynamodb-local.invalid';

/** DynamoDB Local, on the loopback interface only, keeping its data in `dataDir` across restarts. */
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
    // A source file as main class: java compiles and runs it (JEP 330).
    mainClass: LOOPBACK_LAUNCHER,
    jvmArgs: ['-Xmx512m', ...LOCAL_JVM_FLAGS, `-Djava.library.path=${path.dirname(nativeLib)}`],
    args: ['-port', String(port), '-dbPath', dataDir, '-sharedDb', '-disableTelemetry', '-cors', NO_BROWSER_ORIGIN],
    readyPort: port,
    readyWhenHttpAnswers: true,
    startTimeoutMs: 60_000,
    logFile: path.join(logDir, 'dynamodb.log'),
  });
  return { service, endpoint: `http://127.0.0.1:${port}` };
}
