'use strict';
/*
 * The bootstrap of one local Lambda execution environment. It runs in a Node.js process of its
 * own with only the function's environment, as the Lambda runtime does, so it is plain
 * JavaScript that needs nothing but Node. It loads the bundled asset once (the cold start), then
 * runs one invocation at a time, as the parent sends them over IPC.
 *
 * Arguments: the folder of the AWS SDK the runtime provides (Lambda's Node.js runtimes ship
 * `@aws-sdk/*`, so bundles leave it out; only `@aws-sdk/*` is resolved there: any other module
 * a bundle forgot to include fails here as it would in Lambda), and the file descriptor of the
 * fault channel (see "Injected faults" below).
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transactWriteCapacity } = require('./transaction-capacity.cjs');

const [sdkRoot, faultChannel] = process.argv.slice(2);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveWithRuntimeSdk(request, parent, isMain, options) {
  if (request.startsWith('@aws-sdk/')) {
    return resolveFilename.call(this, request, parent, isMain, { ...options, paths: [sdkRoot] });
  }
  return resolveFilename.call(this, request, parent, isMain, options);
};

/*
 * Metering, for `/dev/stats` and the benchmark: every AWS SDK call the function makes is recorded
 * by a middleware added to each client's stack on its first call (service, operation, timing, and
 * for DynamoDB the consumed capacity, which the middleware asks for, and the tables a failed call
 * named; for a failed call its error and HTTP status), and the bytes the function
 * logs are counted. Each invocation reports its share with its result, and the CPU time it used.
 */
let calls = [];
let logBytes = 0;
/** The process's CPU usage when the running invocation's handler was called. */
let cpuBefore = process.cpuUsage();
/** CPU ms (user and system) the running invocation has used so far. */
function cpuSoFar() {
  const cpu = process.cpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / 1000;
}
const DYNAMODB_CAPACITY_OPERATIONS = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems',
]);
const meteredStacks = new WeakSet();
const CONDITIONAL_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * What AWS bills a single-item write whose condition failed, which DynamoDB Local reports as an
 * error without consumed capacity: "DynamoDB still consumes write capacity from the table. The
 * amount consumed is dependent on the size of the existing item (or a minimum of 1)" (the DynamoDB
 * developer guide, "Conditional writes"). The stack's items that such writes meet (budgets,
 * receipts, connection records, rows) are under 1 KB, so one unit.
 */
function failedConditionCapacity(tables) {
  return { readUnits: 0, writeUnits: 1, capacityUnits: 1, tables, byTable: tables.map((table) => ({ table, units: 1 })) };
}

function capacityOf(consumed) {
  const entries = [consumed].flat().filter(Boolean);
  return {
    readUnits: entries.reduce((sum, entry) => sum + (entry.ReadCapacityUnits ?? 0), 0),
    writeUnits: entries.reduce((sum, entry) => sum + (entry.WriteCapacityUnits ?? 0), 0),
    capacityUnits: entries.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0),
    tables: [...new Set(entries.map((entry) => entry.TableName).filter(Boolean))],
    byTable: entries.filter((entry) => entry.TableName).map((entry) => ({ table: entry.TableName, units: entry.CapacityUnits ?? 0 })),
  };
}

/** The tables a DynamoDB request names: its TableName, its RequestItems' or its TransactItems'. */
function tablesOf(input) {
  if (!input) return [];
  const named = [input.TableName, ...Object.keys(input.RequestItems || {})];
  for (const item of input.TransactItems || []) for (const action of Object.values(item)) named.push(action && action.TableName);
  return [...new Set(named.filter((name) => typeof name === 'string'))];
}

const meteringMiddleware = (next, context) => async (args) => {
  const service = String(context.clientName || 'Unknown').replace(/Client$/, '');
  const operation = String(context.commandName || 'Unknown').replace(/Command$/, '');
  if (service === 'DynamoDB' && DYNAMODB_CAPACITY_OPERATIONS.has(operation) && args.input && args.input.ReturnConsumedCapacity === undefined) {
    args = { ...args, input: { ...args.input, ReturnConsumedCapacity: 'TOTAL' } };
  }
  // cpuMs: the CPU the invocation had used when the call began, to tell its CPU before a call (the ack) from after.
  const call = { service, operation, start: Date.now(), cpuMs: cpuSoFar() };
  calls.push(call);
  try {
    const result = await next(args);
    // A transaction as AWS bills it, not as DynamoDB Local reports it (transaction-capacity.cjs).
    if (service === 'DynamoDB' && operation === 'TransactWriteItems') call.capacity = transactWriteCapacity(args.input);
    else if (result.output && result.output.ConsumedCapacity) call.capacity = capacityOf(result.output.ConsumedCapacity);
    return result;
  } catch (error) {
    call.error = error && error.name;
    call.status = error && error.$metadata && error.$metadata.httpStatusCode;
    if (service === 'DynamoDB') call.tables = tablesOf(args.input);
    if (call.error === 'ConditionalCheckFailedException' && CONDITIONAL_WRITES.has(operation)) call.capacity = failedConditionCapacity(call.tables);
    throw error;
  } finally {
    call.end = Date.now();
  }
};

/*
 * Calls the SDK does not make, which a function's code reports itself: Keyspaces requests, through
 * the Cassandra driver bundled into the function (lambdas/shared/statement-meter.ts).
 */
globalThis.__localCloudMeterCall = (call) => {
  calls.push({ service: String(call.service), operation: String(call.operation), start: Number(call.start), end: Number(call.end), ...(call.error ? { error: String(call.error) } : {}) });
};

function meter(Client) {
  const send = Client.prototype.send;
  Client.prototype.send = function sendMetered(...args) {
    if (!meteredStacks.has(this.middlewareStack)) {
      meteredStacks.add(this.middlewareStack);
      this.middlewareStack.add(meteringMiddleware, { step: 'initialize', name: 'localCloudMetering', priority: 'high' });
    }
    return send.apply(this, args);
  };
}

const meteredClients = new WeakSet();
const load = Module._load;
Module._load = function loadMetered(request, ...rest) {
  const exported = load.call(this, request, ...rest);
  if ((request === '@smithy/core/client' || request === '@smithy/smithy-client') && exported && exported.Client && !meteredClients.has(exported.Client)) {
    meteredClients.add(exported.Client);
    meter(exported.Client);
  }
  return exported;
};

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return write(chunk, ...rest);
  };
}

function takeMeter() {
  const taken = { calls, logBytes };
  calls = [];
  logBytes = 0;
  return taken;
}

function describe(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, stackTrace: (error.stack || '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error), stackTrace: [] };
}

/*
 * Injected faults (the local cloud's `/dev/faults`): each invocation may name fault points at
 * which this environment dies, and a moment at which it dies anyway. Dying is a real crash: it
 * writes where it died to the fault channel, synchronously, and SIGKILLs itself, so that nothing
 * after the point runs, no cleanup, no reply. `faultPoint(name)` in a function's code
 * (lambdas/shared/fault-points.ts) calls the hook installed here; on AWS there is none.
 */
let invocationId;
let armedPoints = new Set();

function dieOfFault(point) {
  fs.writeSync(Number(faultChannel), `${JSON.stringify({ id: invocationId, point })}\n`);
  process.kill(process.pid, 'SIGKILL');
}

globalThis.__localCloudFaultPoint = (name) => {
  if (armedPoints.has(name)) dieOfFault(name);
};

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
  const { id, event, context, faults } = message;
  invocationId = id;
  armedPoints = new Set(faults ? faults.killAt : []);
  const dieAnyway = faults && faults.killAfterMs !== undefined;
  const randomDeath = dieAnyway ? setTimeout(() => dieOfFault('random'), faults.killAfterMs) : undefined;
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - Date.now()),
  };
  takeMeter();
  const started = Date.now();
  // The function's own CPU time (user and system) while its handler ran: what it would run on a
  // Lambda vCPU, without the time it waited for AWS. One invocation runs at a time in this process.
  cpuBefore = process.cpuUsage();
  let outcome;
  try {
    const result = await handler(event, lambdaContext);
    outcome = { type: 'result', id, result: result === undefined ? null : result };
  } catch (error) {
    console.error(JSON.stringify({ level: 'ERROR', message: 'Invoke Error', ...describe(error) }));
    outcome = { type: 'error', id, error: describe(error) };
  }
  // An invocation to die at a random moment that ended sooner dies before it can answer.
  if (dieAnyway) dieOfFault('random');
  armedPoints = new Set();
  process.send({ ...outcome, durationMs: Date.now() - started, meter: { ...takeMeter(), cpuMs: cpuSoFar() } });
});

// The local cloud that forked this environment is gone, killed outright perhaps: so is its Lambda.
process.on('disconnect', () => process.exit(0));

// An error that escapes the handler ends the environment, as it does in Lambda.
process.on('uncaughtException', (error) => {
  console.error(JSON.stringify({ level: 'ERROR', message: 'Uncaught Exception', ...describe(error) }));
  process.exit(129);
});
process.on('unhandledRejection', (reason) => {
  console.error(JSON.stringify({ level: 'ERROR', message: 'Unhandled Promise Rejection', ...describe(reason) }));
  process.exit(128);
});
