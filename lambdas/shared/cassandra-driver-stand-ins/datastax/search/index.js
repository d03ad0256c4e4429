'use strict';
/**
 * Stands in for cassandra-driver's `lib/datastax/search` (one of DRIVER_PARTS_LEFT_OUT in lib/constructs/messenger-function.ts): the encoder checks
 * values against `DateRange` (never one of ours) and decodes DataStax Enterprise's DateRangeType
 * columns with it, which Keyspaces does not have.
 */
class DateRange {
  static fromBuffer() {
    throw new Error('DataStax Enterprise DateRangeType is not supported: this build leaves it out');
  }
}

module.exports = { DateRange };
