import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { freePort, JavaService, LOCAL_JVM_FLAGS, resolveClasspath } from './java-service';
import type { RunningStandIn } from './dynamodb-local';

/**
 * ElasticMQ, the stand-in for SQS. Queues are created through the SQS API from the template, so
 * the config only sets where it listens and where it keeps messages across restarts.
 */
export async function startElasticMq(dataDir: string, logDir: string): Promise<RunningStandIn> {
  const classpath = await resolveClasspath('elasticmq');
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const configPath = path.join(dataDir, 'elasticmq.conf');
  await writeFile(
    configPath,
    `include classpath("application.conf")
node-address { protocol = http, host = "127.0.0.1", port = ${port}, context-path = "" }
rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
aws { region = us-east-1, accountId = 000000000000 }
queues-storage { enabled = true, path = "${path.join(dataDir, 'queues.conf')}" }
messages-storage { enabled = true, uri = "jdbc:h2:${path.join(dataDir, 'messages')}" }
`,
  );
  const service = await JavaService.start({
    name: 'elasticmq',
    classpath,
    mainClass: 'org.elasticmq.server.Main',
    jvmArgs: ['-Xmx256m', ...LOCAL_JVM_FLAGS, `-Dconfig.file=${configPath}`],
    args: [],
    readyPort: port,
    readyWhenHttpAnswers: true,
    startTimeoutMs: 60_000,
    logFile: path.join(logDir, 'elasticmq.log'),
  });
  return { service, endpoint: `http://127.0.0.1:${port}` };
}
