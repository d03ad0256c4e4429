'use strict';
/*
 * The bootstrap of one local Lambda execution environment. It runs in a Node.js process of its
 * own with only the function's environment, as the Lambda runtime does, so it is plain
 * JavaScript that needs nothing but Node. It loads the bundled asset once (the cold start), then
 * runs one invocation at a time, as the parent sends them over IPC.
 *
 * Argument: the folder of the AWS SDK the runtime provides (Lambda's Node.js runtimes ship
 * `@aws-sdk/*`, so bundles leave it out). Only `@aws-sdk/*` is resolved there: any other module
 * a bundle forgot to include fails here as it would in Lambda.
 */
const Module = require('node:module');
const path = require('node:path');

const [sdkRoot] = process.argv.slice(2);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveWithRuntimeSdk(request, parent, isMain, options) {
  if (request.startsWith('@aws-sdk/')) {
    return resolveFilename.call(this, request, parent, isMain, { ...options, paths: [sdkRoot] });
  }
  return resolveFilename.call(this, request, parent, isMain, options);
};

function describe(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, stackTrace: (error.stack || '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error), stackTrace: [] };
}

let handler;
try {
  const [file, exportName] = process.env._HANDLER.split('.');
  const loaded = require(path.join(process.env.LAMBDA_TASK_ROOT, file));
  handler = loaded[exportName];
  if (typeof handler !== 'function') throw new Error(`${process.env._HANDLER} is not a function`);
  process.send({ type: 'ready' });
} catch (error) {
  process.send({ type: 'initError', error: describe(error) }, () => process.exit(1));
}

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const { id, event, context } = message;
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - Date.now()),
  };
  try {
    const result = await handler(event, lambdaContext);
    process.send({ type: 'result', id, result: result === undefined ? null : result });
  } catch (error) {
    console.error(JSON.stringify({ level: 'ERROR', message: 'Invoke Error', ...describe(error) }));
    process.send({ type: 'error', id, error: describe(error) });
  }
});

// An error that escapes the handler ends the environment, as it does in Lambda.
process.on('uncaughtException', (error) => {
  console.error(JSON.stringify({ level: 'ERROR', message: 'Uncaught Exception', ...describe(error) }));
  process.exit(129);
});
process.on('unhandledRejection', (reason) => {
  console.error(JSON.stringify({ level: 'ERROR', message: 'Unhandled Promise Rejection', ...describe(reason) }));
  process.exit(128);
});
