import { test } from "uvu";
import * as assert from "uvu/assert";
import { countWindows, ensureOffset, isoWithOffset } from "../../src/ha/time.js";

const d = (iso: string) => new Date(iso);
const windows = (now: string, tz: string) => {
  const w = countWindows(d(now), tz);
  return { today: w.startOfToday.toISOString(), week: w.startOfWeek.toISOString() };
};

test("isoWithOffset: winter, summer, both sides of a DST change, half-hour and UTC zones", () => {
  assert.is(isoWithOffset(d("2026-12-04T20:06:01.123Z"), "Europe/Berlin"), "2026-12-04T21:06:01.123+01:00");
  assert.is(isoWithOffset(d("2026-07-01T12:00:00.000Z"), "Europe/Berlin"), "2026-07-01T14:00:00.000+02:00");
  // Berlin springs forward at 01:00Z on 2026-03-29: 01:59:59.999+01:00 then 03:00+02:00.
  assert.is(isoWithOffset(d("2026-03-29T00:59:59.999Z"), "Europe/Berlin"), "2026-03-29T01:59:59.999+01:00");
  assert.is(isoWithOffset(d("2026-03-29T01:00:00.000Z"), "Europe/Berlin"), "2026-03-29T03:00:00.000+02:00");
  // New York falls back at 06:00Z on 2026-11-01: 01:30 happens twice, with different offsets.
  assert.is(isoWithOffset(d("2026-11-01T05:30:00.000Z"), "America/New_York"), "2026-11-01T01:30:00.000-04:00");
  assert.is(isoWithOffset(d("2026-11-01T06:30:00.000Z"), "America/New_York"), "2026-11-01T01:30:00.000-05:00");
  assert.is(isoWithOffset(d("2026-01-15T00:00:00.007Z"), "Asia/Kolkata"), "2026-01-15T05:30:00.007+05:30");
  assert.is(isoWithOffset(d("2026-01-15T00:00:00.000Z"), "UTC"), "2026-01-15T00:00:00.000+00:00");
  // Local date differs from the UTC date.
  assert.is(isoWithOffset(d("2026-03-09T02:00:00.000Z"), "America/New_York"), "2026-03-08T22:00:00.000-04:00");
});

test("isoWithOffset round-trips to the same instant", () => {
  for (const iso of ["2026-03-29T01:00:00.000Z", "2026-11-01T06:30:00.500Z", "2026-10-25T00:59:59.999Z"]) {
    for (const tz of ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]) {
      assert.is(new Date(isoWithOffset(d(iso), tz)).toISOString(), iso, `${iso} ${tz}`);
    }
  }
});

test("countWindows Europe/Berlin: DST start day and the Sunday/Monday week boundary", () => {
  // Sunday 2026-03-29 23:30 CEST (+02:00): today began at 00:00 CET (+01:00), the week on Monday 23rd CET.
  assert.equal(windows("2026-03-29T21:30:00Z", "Europe/Berlin"), { today: "2026-03-28T23:00:00.000Z", week: "2026-03-22T23:00:00.000Z" });
  // Monday 2026-03-30 00:30 CEST: a new day and a new week, both at 00:00 CEST.
  assert.equal(windows("2026-03-29T22:30:00Z", "Europe/Berlin"), { today: "2026-03-29T22:00:00.000Z", week: "2026-03-29T22:00:00.000Z" });
  // DST end, Sunday 2026-10-25 12:00 CET: the day began at 00:00 CEST (+02:00) and had 25 hours.
  assert.equal(windows("2026-10-25T11:00:00Z", "Europe/Berlin"), { today: "2026-10-24T22:00:00.000Z", week: "2026-10-18T22:00:00.000Z" });
});

test("countWindows America/New_York: local Sunday that is already Monday in UTC, and fall-back day", () => {
  // Sunday 2026-03-08 22:00 EDT = Monday 02:00Z. Still Sunday locally: week from Monday 2nd 00:00 EST.
  assert.equal(windows("2026-03-09T02:00:00Z", "America/New_York"), { today: "2026-03-08T05:00:00.000Z", week: "2026-03-02T05:00:00.000Z" });
  // Sunday 2026-11-01 12:00 EST: day began 00:00 EDT (-04:00); week began Monday 26 Oct 00:00 EDT.
  assert.equal(windows("2026-11-01T17:00:00Z", "America/New_York"), { today: "2026-11-01T04:00:00.000Z", week: "2026-10-26T04:00:00.000Z" });
  // Monday 2026-11-02 00:00 EST exactly: it is its own start of day and week.
  assert.equal(windows("2026-11-02T05:00:00Z", "America/New_York"), { today: "2026-11-02T05:00:00.000Z", week: "2026-11-02T05:00:00.000Z" });
  // One millisecond earlier is still the previous day and week.
  assert.equal(windows("2026-11-02T04:59:59.999Z", "America/New_York"), { today: "2026-11-01T04:00:00.000Z", week: "2026-10-26T04:00:00.000Z" });
});

test("countWindows when midnight does not exist (America/Santiago springs forward at 00:00)", () => {
  const w = countWindows(d("2026-09-06T15:00:00Z"), "America/Santiago");
  // The day starts at the transition, shown locally as 01:00; the instant before is still Saturday.
  assert.is(w.startOfToday.toISOString(), "2026-09-06T04:00:00.000Z");
  assert.is(isoWithOffset(w.startOfToday, "America/Santiago"), "2026-09-06T01:00:00.000-03:00");
  assert.is(isoWithOffset(new Date(w.startOfToday.getTime() - 1), "America/Santiago"), "2026-09-05T23:59:59.999-04:00");
  assert.is(w.startOfWeek.toISOString(), "2026-08-31T04:00:00.000Z"); // Monday 31 Aug 00:00 -04:00
});

test("countWindows when midnight happens twice (America/Havana falls back 01:00 -> 00:00): the first one", () => {
  // Sunday 2026-11-01: 00:00-04:00 (04:00Z) and again 00:00-05:00 (05:00Z). The day began at the first.
  assert.equal(windows("2026-11-01T05:30:00Z", "America/Havana"), { today: "2026-11-01T04:00:00.000Z", week: "2026-10-26T04:00:00.000Z" });
});

test("ensureOffset only touches naive date-times", () => {
  assert.is(ensureOffset("2026-01-02T03:04:05.678"), "2026-01-02T03:04:05.678Z");
  assert.is(ensureOffset("2026-01-02T03:04:05Z"), "2026-01-02T03:04:05Z");
  assert.is(ensureOffset("2026-01-02T03:04:05+05:30"), "2026-01-02T03:04:05+05:30");
  assert.is(ensureOffset("2026-01-02T03:04:05-0400"), "2026-01-02T03:04:05-0400");
});

test("an unknown time zone fails loudly", () => {
  assert.throws(() => isoWithOffset(new Date(), "Mars/Olympus_Mons"), RangeError);
});

test.run();
