import TestRunner from 'jest-runner';

/**
 * Jest's own runner, marked serial: Jest runs the test files of a serial runner one at a time,
 * and only after the other runners' files are done (it awaits one runner before starting the
 * next), so a disruptive test never shares the machine with the parallel integration tests.
 */
export default class SerialRunner extends TestRunner {
  readonly isSerial = true;
}
