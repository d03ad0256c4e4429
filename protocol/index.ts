/**
 * The messenger's frames, both directions: one definition that the Lambdas validate requests with
 * and the SDK validates replies and events with.
 */
export * from './fields';
export * from './client-frames';
export * from './server-frames';
export * from './handshake';
