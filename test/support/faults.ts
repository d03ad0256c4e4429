import { localCloud } from './local-cloud-env';

/** A fault as `GET /dev/faults` lists what fired. */
export type FiredFault = Record<string, unknown> & { kind: string; faultId?: string };

export interface FaultsState {
  armed: Array<Record<string, unknown> & { id: string }>;
  fired: FiredFault[];
  standIns: Record<string, 'running' | 'stopped' | 'changing'>;
}

/** `POST /dev/faults` with this body: the answer's status and body. */
export async function postFault(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${localCloud().baseUrl}/dev/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function faults(): Promise<FaultsState> {
  return (await (await fetch(`${localCloud().baseUrl}/dev/faults`)).json()) as FaultsState;
}

/** What fired of one armed fault. */
export async function firedOf(faultId: string): Promise<FiredFault[]> {
  return (await faults()).fired.filter((fired) => fired.faultId === faultId);
}

/**
 * An `arm(body)` for a test file: it arms the fault and returns its id, and every fault it armed is
 * disarmed after each test (by id, so that tests sharing the cloud keep theirs).
 */
export function faultsDisarmedAfterEach(): (body: Record<string, unknown>) => Promise<string> {
  const armed: string[] = [];
  afterEach(async () => {
    for (const id of armed.splice(0)) await fetch(`${localCloud().baseUrl}/dev/faults/${encodeURIComponent(id)}`, { method: 'DELETE' });
  });
  return async (body) => {
    const { status, body: answer } = await postFault(body);
    if (status !== 201) throw new Error(`arming ${JSON.stringify(body)} answered ${status}: ${JSON.stringify(answer)}`);
    const id = (answer.armed as { id: string }).id;
    armed.push(id);
    return id;
  };
}

/** Stops or restarts a stand-in of the local cloud, waiting until it is down or answers again. */
export async function standIn(name: 'dynamodb' | 'sqs' | 'cassandra', action: 'stop' | 'restart'): Promise<void> {
  const { status, body } = await postFault({ kind: 'standIn', standIn: name, action });
  if (status !== 200 || body.running !== (action === 'restart')) throw new Error(`${action} ${name} answered ${status}: ${JSON.stringify(body)}`);
}
