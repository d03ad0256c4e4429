import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../config';

const CDK_CLI = path.join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

/**
 * Synthesizes the messenger's CDK app into `outDir` with the AWS CDK CLI, offline and without
 * credentials, passing `context` as `-c key=value`.
 */
export function synthesize(outDir: string, context: Record<string, string>): Promise<void> {
  const args = [
    CDK_CLI,
    'synth',
    '--quiet',
    '--no-notices',
    '--no-version-reporting',
    '--output',
    outDir,
    ...Object.entries(context).flatMap(([key, value]) => ['--context', `${key}=${value}`]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(new Error(`cannot run the CDK CLI: ${error.message}`)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`cdk synth failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}
