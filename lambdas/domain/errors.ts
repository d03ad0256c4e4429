import type { ErrorCode } from '../../protocol/server-frames';

export type { ErrorCode };

/**
 * An error a client is told about. Its message is written for people and is sent as it is, so it
 * never carries internal names or stack traces.
 */
export class MessengerError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MessengerError';
  }
}

export class BadRequestError extends MessengerError {
  constructor(message: string) {
    super('bad_request', message);
  }
}

export class ForbiddenError extends MessengerError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export class NotFoundError extends MessengerError {
  constructor(message: string) {
    super('not_found', message);
  }
}
