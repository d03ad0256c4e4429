import type { JavaService } from '../standins/java-service';

/** The stand-ins the service modules run, by the names `/dev/stand-ins` gives them. */
export const STAND_IN_NAMES = ['dynamodb', 'sqs', 'cassandra'] as const;
export type StandInName = (typeof STAND_IN_NAMES)[number];

/** A stand-in that can be stopped and started again, for an outage on purpose (`/dev/faults`). */
export interface StandInControl {
  readonly running: boolean;
  /** Stops its process: its port answers nothing until it is restarted. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the data it kept, and brings back any of the template's resources it lost. */
  restart(): Promise<void>;
}

/**
 * The control of a stand-in's JVM: a restart runs `provision` again (it creates only what is
 * missing), so that the template's resources are there even if the stand-in lost some.
 */
export function controlOf(service: JavaService, provision: () => Promise<void>): StandInControl {
  return {
    get running() {
      return service.running;
    },
    stop: () => service.stop(),
    restart: async () => {
      await service.restart();
      await provision();
    },
  };
}
