import TestRunner from 'jest-runner';

/**
 * Jest's own runner, marked serial: Jest runs the test files of a serial runner one at a time,
 * and runs one runner's files only once the previous runner's are done (it awaits each runner in
 * turn), so a disruptive test never shares the machine with the parallel tests of other projects.
 */
export default class SerialRunner extends TestRunner {
  readonly isSerial = true;
}
