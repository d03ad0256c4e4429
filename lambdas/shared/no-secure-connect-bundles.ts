/**
 * Bundled in place of `adm-zip` (see `lib/constructs/messenger-function.ts`): `cassandra-driver`
 * loads it only to unpack DataStax Astra secure connect bundles, which Keyspaces does not use, and
 * it is 36 KB of every bundle that talks to Keyspaces.
 */
export = class SecureConnectBundlesUnsupported {
  constructor() {
    throw new Error('DataStax Astra secure connect bundles are not supported: this build leaves out adm-zip');
  }
};
