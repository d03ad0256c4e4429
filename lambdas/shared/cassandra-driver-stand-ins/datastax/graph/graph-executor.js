'use strict';
/**
 * Stands in for cassandra-driver's `lib/datastax/graph/graph-executor.js` (one of DRIVER_PARTS_LEFT_OUT in lib/constructs/messenger-function.ts):
 * the client builds one, but only `executeGraph` uses it, for DataStax Enterprise graph queries.
 */
module.exports = class GraphExecutorLeftOut {
  send() {
    return Promise.reject(new Error('DataStax Enterprise graph queries are not supported: this build leaves them out'));
  }
};
