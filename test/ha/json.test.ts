import { test } from "uvu";
import * as assert from "uvu/assert";
import { isMigrateMarker, jsonEqual, parseJsonObject } from "../../src/ha/json.js";

test("jsonEqual ignores key order only", () => {
  assert.ok(jsonEqual({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
  assert.not.ok(jsonEqual({ a: [1, 2] }, { a: [2, 1] })); // array order matters
  assert.not.ok(jsonEqual({ a: ["x"] }, { a: ["y"] }));
  assert.not.ok(jsonEqual({ a: [1] }, { a: [1, 1] }));
  assert.not.ok(jsonEqual({ a: 1 }, { a: 1, b: undefined as unknown }));
  assert.not.ok(jsonEqual({ a: 1, b: 2 }, { a: 1, c: 2 }));
  assert.not.ok(jsonEqual({ a: "1" }, { a: 1 }));
  assert.not.ok(jsonEqual({ a: null }, { a: {} }));
  assert.not.ok(jsonEqual([], {}));
  assert.not.ok(jsonEqual({}, []));
});

test("parseJsonObject and isMigrateMarker", () => {
  assert.equal(parseJsonObject('{"a":1}'), { a: 1 });
  for (const p of ["", "[]", "1", "null", "{"]) assert.is(parseJsonObject(p), null, p);
  assert.ok(isMigrateMarker({ migrate_discovery: true }));
  assert.ok(isMigrateMarker({ migr_discvry: true }));
  assert.not.ok(isMigrateMarker({ migrate_discovery: "true" }));
});

test.run();
