'use strict';
/**
 * Stands in for cassandra-driver's `lib/insights-client.js` (one of DRIVER_PARTS_LEFT_OUT in lib/constructs/messenger-function.ts): the client builds one,
 * and starts it after connecting, but it reports only to DataStax Enterprise 6.7 and later (the
 * real one checks and stays idle otherwise), never to Keyspaces or Apache Cassandra.
 */
module.exports = class InsightsClientLeftOut {
  init() {}
  shutdown() {}
};
