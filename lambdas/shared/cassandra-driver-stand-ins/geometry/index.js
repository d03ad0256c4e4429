'use strict';
/**
 * Stands in for cassandra-driver's `lib/geometry` (one of DRIVER_PARTS_LEFT_OUT in lib/constructs/messenger-function.ts): the encoder checks values
 * against these classes (never one of ours) and decodes DataStax Enterprise's geometry columns with
 * them, which Keyspaces does not have.
 */
class Geometry {
  static fromBuffer() {
    throw new Error('DataStax Enterprise geometry types are not supported: this build leaves them out');
  }
}
class Point extends Geometry {}
class LineString extends Geometry {}
class Polygon extends Geometry {}

module.exports = { Geometry, Point, LineString, Polygon };
