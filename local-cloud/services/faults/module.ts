import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, readBody } from '../../http';
import type { LambdaService } from '../lambda/lambda-service';
import type { CloudContext, CloudService, HttpRoute } from '../service';
import type { StandInControl, StandInName } from '../stand-in-control';
import { FaultRegistry } from './registry';
import { BadFaultRequest, parseFaultRequest, parseInitialFaults, type FaultRequest, type StandInRequest } from './requests';

/** A request that names something this local cloud does not have, or asks the impossible now. */
class Refused extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The fault injector, off until something is armed: `GET /dev/faults` lists the armed faults,
 * what fired and which stand-ins run; `POST /dev/faults` arms a kill of a function's execution
 * environment or a failure of `@connections`, or stops or restarts a stand-in; `DELETE
 * /dev/faults/<id>` disarms one fault; `DELETE /dev/faults` disarms all, forgets what fired and
 * restarts any stand-in it stopped. `LOCAL_FAULTS` arms faults at start. Lambda and API Gateway
 * consult the registry it fills (see `services/index.ts`).
 */
export class FaultsService implements CloudService {
  readonly name = 'faults';
  private lambda?: LambdaService;
  private standIns: Partial<Record<StandInName, StandInControl>> = {};
  /** Stand-ins being stopped or started: one change at a time each. */
  private readonly changing = new Set<StandInName>();

  constructor(private readonly registry: FaultRegistry) {}

  async start({ exposed, config }: CloudContext): Promise<void> {
    this.lambda = exposed.lambda;
    this.standIns = exposed.standIns ?? {};
    if (config.initialFaults === undefined) return;
    try {
      for (const request of parseInitialFaults(config.initialFaults)) this.arm(request);
    } catch (error) {
      if (error instanceof BadFaultRequest || error instanceof Refused) throw new Error(`Invalid environment: LOCAL_FAULTS: ${error.message}`);
      throw error;
    }
  }

  readonly routes: readonly HttpRoute[] = [
    { path: '/dev/faults', handle: (request, response) => this.handleFaults(request, response) },
    {
      path: /^\/dev\/faults\/([^/]+)$/,
      handle: (request, response, _url, match) => {
        if (request.method !== 'DELETE') return json(response, 405, { message: 'use DELETE /dev/faults/<id> to disarm one fault' });
        const id = decodeURIComponent(match[1]);
        return this.registry.disarm(id) ? json(response, 200, { disarmed: id }) : json(response, 404, { message: `no armed fault ${id}` });
      },
    },
  ];

  private async handleFaults(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.lambda === undefined) return json(response, 503, { message: 'starting' });
    switch (request.method) {
      case 'GET':
        return json(response, 200, { ...this.registry.snapshot(), standIns: this.standInStates() });
      case 'DELETE': {
        const restarted: StandInName[] = [];
        for (const [name, control] of Object.entries(this.standIns) as Array<[StandInName, StandInControl]>) {
          if (control.running || this.changing.has(name)) continue;
          await this.change({ kind: 'standIn', standIn: name, action: 'restart' });
          restarted.push(name);
        }
        // After the restarts, so that they are forgotten with the rest.
        this.registry.clear();
        return json(response, 200, { cleared: true, restarted });
      }
      case 'POST':
        return this.handlePost(request, response);
      default:
        return json(response, 405, { message: 'use GET, POST or DELETE /dev/faults' });
    }
  }

  private async handlePost(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request));
    } catch (error) {
      return json(response, 400, { message: `the body must be a fault as JSON: ${(error as Error).message}` });
    }
    try {
      const fault = parseFaultRequest(body);
      if (fault.kind === 'standIn') return json(response, 200, await this.change(fault));
      return json(response, 201, { armed: this.arm(fault) });
    } catch (error) {
      if (error instanceof BadFaultRequest) return json(response, 400, { message: error.message });
      if (error instanceof Refused) return json(response, error.status, { message: error.message });
      throw error;
    }
  }

  private arm(request: Exclude<FaultRequest, StandInRequest>) {
    if (request.kind === 'connection') return this.registry.armConnectionFault(request);
    return this.registry.armKill(request, this.functionNamed(request.function));
  }

  /** The logical id of the function with this logical id or name, or the one whose logical id starts with it. */
  private functionNamed(name: string): string {
    const functions = this.lambda!.functions();
    const exact = functions.find((definition) => definition.logicalId === name || definition.functionName === name);
    if (exact) return exact.logicalId;
    const matches = functions.filter((definition) => definition.logicalId.startsWith(name)).map((definition) => definition.logicalId);
    if (matches.length === 1) return matches[0];
    const all = functions.map((definition) => definition.logicalId).join(', ');
    if (matches.length === 0) throw new Refused(400, `function: no function is called ${name}; the functions are ${all}`);
    throw new Refused(400, `function: ${name} names several functions (${matches.join(', ')}); give more of the logical id`);
  }

  /** Stops or restarts a stand-in, waiting until it is down or answers again. */
  private async change({ standIn, action }: StandInRequest): Promise<{ standIn: StandInName; running: boolean }> {
    const control = this.standIns[standIn];
    if (control === undefined) throw new Refused(400, `standIn: this local cloud runs no ${standIn}`);
    if (this.changing.has(standIn)) throw new Refused(409, `${standIn} is being stopped or started; try again when it is done`);
    if (control.running === (action === 'restart')) return { standIn, running: control.running };
    this.changing.add(standIn);
    try {
      await (action === 'stop' ? control.stop() : control.restart());
      this.registry.recordStandIn(standIn, action);
    } finally {
      this.changing.delete(standIn);
    }
    return { standIn, running: control.running };
  }

  private standInStates(): Record<string, 'running' | 'stopped' | 'changing'> {
    return Object.fromEntries(
      Object.entries(this.standIns).map(([name, control]) => [name, this.changing.has(name as StandInName) ? 'changing' : control.running ? 'running' : 'stopped']),
    );
  }

  async stop(): Promise<void> {
    this.registry.clear();
  }
}
