import { resolveClasspath } from './standins/java-service';

/**
 * Fetches every stand-in's jars with Maven ahead of time (CI does this before the tests, so that
 * a download failure is reported as such and not as a slow start).
 */
async function main(): Promise<void> {
  for (const standIn of ['dynamodb', 'elasticmq', 'cassandra']) {
    const started = Date.now();
    const jars = await resolveClasspath(standIn);
    console.log(`${standIn}: ${jars.length} jars ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

main().catch((error: Error) => {
  console.error(`cannot fetch the stand-ins: ${error.message}`);
  process.exit(1);
});
