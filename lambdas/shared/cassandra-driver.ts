/**
 * The parts of `cassandra-driver` the functions use, each from its own file. The package's index
 * also loads its object mapper, geometry types and DataStax Enterprise search types, about 70 KB
 * of every bundle that talks to Keyspaces, which has no use for them. What the client itself still
 * requires of DataStax's products (graph, insights, Astra, search and geometry types) is left out
 * at bundling for stand-ins (`DRIVER_PARTS_LEFT_OUT` in lib/constructs/messenger-function.ts).
 * Typed by the package's own declarations.
 */
import type * as driver from 'cassandra-driver';

/* eslint-disable @typescript-eslint/no-require-imports -- deep requires are the point: the index is what is avoided */
export const Client: typeof driver.Client = require('cassandra-driver/lib/client');
export const policies: typeof driver.policies = require('cassandra-driver/lib/policies');
export const types: typeof driver.types = require('cassandra-driver/lib/types');
export const auth: typeof driver.auth = require('cassandra-driver/lib/auth');
/** The base class the driver requires of `requestTracker` (it checks with instanceof); its declarations give only the interface. */
export const RequestTracker: new () => driver.tracker.RequestTracker = require('cassandra-driver/lib/tracker/request-tracker');
/* eslint-enable @typescript-eslint/no-require-imports */

export type Client = driver.Client;
