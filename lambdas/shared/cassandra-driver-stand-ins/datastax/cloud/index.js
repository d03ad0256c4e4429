'use strict';
/**
 * Stands in for cassandra-driver's `lib/datastax/cloud` (one of DRIVER_PARTS_LEFT_OUT in lib/constructs/messenger-function.ts): the client calls
 * `init` on connect, which does nothing unless `cloud` options name a DataStax Astra secure connect
 * bundle, which Keyspaces does not use. Leaving it out also leaves out `adm-zip`, which unpacks them.
 */
async function init(options) {
  if (options.cloud) throw new Error('DataStax Astra secure connect bundles are not supported: this build leaves them out');
}

module.exports = { init };
