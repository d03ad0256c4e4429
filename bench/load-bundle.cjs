'use strict';
/*
 * Loads one bundled Lambda handler in this fresh process and prints how long the module load took,
 * in ms, as JSON: wall-clock, and the process's CPU time (which a busy machine disturbs far less). `@aws-sdk/*` resolves from the given folder, as the Lambda runtime provides it.
 * Arguments: <node_modules with @aws-sdk> <bundle file>
 */
const Module = require('node:module');
const { performance } = require('node:perf_hooks');

const [sdkModules, bundle] = process.argv.slice(2);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveWithRuntimeSdk(request, parent, isMain, options) {
  if (request.startsWith('@aws-sdk/')) return resolveFilename.call(this, request, parent, isMain, { ...options, paths: [sdkModules] });
  return resolveFilename.call(this, request, parent, isMain, options);
};

const cpuBefore = process.cpuUsage();
const started = performance.now();
const loaded = require(bundle);
const loadMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
if (typeof loaded.handler !== 'function') throw new Error(`${bundle} exports no handler`);
process.stdout.write(JSON.stringify({ loadMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
