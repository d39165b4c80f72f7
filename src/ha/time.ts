/**
 * Wall-clock arithmetic in an IANA time zone, with Intl only (no tz library). The original
 * counted "today" and "this week" in UTC while claiming local time; these helpers fix that.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface WallClock {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** One zone's formatter, reused across calls: building an Intl.DateTimeFormat costs far more than using it. */
export interface ZonedClock {
  readonly timeZone: string;
  isoWithOffset(date: Date): string;
  countWindows(now: Date): { startOfToday: Date; startOfWeek: Date };
}

/** Throws a RangeError for an unknown zone, like Intl does: a bad setting should fail loudly. */
export function zonedClock(timeZone: string): ZonedClock {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });

  const wall = (ms: number): WallClock => {
    const w: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const p of fmt.formatToParts(ms)) {
      if (p.type === "year" || p.type === "month" || p.type === "day" || p.type === "hour" || p.type === "minute" || p.type === "second") {
        w[p.type] = Number(p.value);
      }
    }
    return w;
  };

  /** Zone offset at an instant, in ms (wall clock read as UTC minus the instant). Whole seconds. */
  const offsetAt = (ms: number): number => {
    const w = wall(ms);
    const whole = ms - (((ms % 1000) + 1000) % 1000);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole;
  };

  /**
   * First instant of a local calendar day. Midnight can be skipped (spring-forward at 00:00, as in
   * America/Santiago) or happen twice; this returns the earliest instant whose local date is that day.
   */
  const startOfLocalDay = (year: number, month: number, day: number): Date => {
    const naive = Date.UTC(year, month - 1, day); // wall-clock midnight read as UTC
    // At most one transition within a day of midnight: the offsets just before and after cover it.
    const before = offsetAt(naive - DAY_MS / 2);
    const after = offsetAt(naive + DAY_MS / 2);
    const isMidnight = (ms: number) => {
      const w = wall(ms);
      return w.year === year && w.month === month && w.day === day && w.hour === 0 && w.minute === 0 && w.second === 0;
    };
    const candidates = [naive - before, naive - after].filter(isMidnight);
    if (candidates.length > 0) return new Date(Math.min(...candidates));
    // Midnight skipped: the day starts at the transition, i.e. where the old offset's midnight would be.
    return new Date(naive - before);
  };

  /**
   * Offset cache per UTC minute. Zone transitions fall on whole minutes in practice; a minute is
   * cached only when its first and last millisecond have the same offset, otherwise every call in
   * it is computed exactly. Bounded: cleared when full (event timestamps can be anything).
   */
  const minuteOffsets = new Map<number, number>();
  const fastOffset = (ms: number): number => {
    const minute = Math.floor(ms / 60_000);
    const hit = minuteOffsets.get(minute);
    if (hit !== undefined) return hit;
    const start = minute * 60_000;
    const a = offsetAt(start);
    if (a !== offsetAt(start + 59_999)) return offsetAt(ms);
    if (minuteOffsets.size >= 512) minuteOffsets.clear();
    minuteOffsets.set(minute, a);
    return a;
  };

  /** The count windows hold for a whole local day: cached with the day's bounds [from, until). */
  let windows: { from: number; until: number; value: { startOfToday: Date; startOfWeek: Date } } | null = null;

  return {
    timeZone,
    isoWithOffset(date: Date): string {
      const ms = date.getTime();
      const offMs = fastOffset(ms);
      // The wall clock is the instant shifted by the offset, read as UTC (offsets are whole seconds).
      const w = new Date(ms + offMs);
      const off = Math.round(offMs / 60_000);
      const sign = off < 0 ? "-" : "+";
      const abs = Math.abs(off);
      return (
        `${pad(w.getUTCFullYear(), 4)}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}` +
        `.${pad(date.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
      );
    },
    countWindows(now: Date) {
      const t = now.getTime();
      if (windows && t >= windows.from && t < windows.until) return { startOfToday: new Date(windows.value.startOfToday), startOfWeek: new Date(windows.value.startOfWeek) };
      const w = wall(t);
      const startOfToday = startOfLocalDay(w.year, w.month, w.day);
      // ISO week: Monday first. Step back on the calendar, then convert, so DST never shifts the day.
      const weekday = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay(); // 0 = Sunday
      const monday = new Date(Date.UTC(w.year, w.month - 1, w.day - ((weekday + 6) % 7)));
      const startOfWeek = startOfLocalDay(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate());
      const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
      const startOfTomorrow = startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
      // Cache only when `now` lies inside the day it was computed for (it always should).
      if (t >= startOfToday.getTime() && t < startOfTomorrow.getTime()) windows = { from: startOfToday.getTime(), until: startOfTomorrow.getTime(), value: { startOfToday, startOfWeek } };
      return { startOfToday: new Date(startOfToday), startOfWeek: new Date(startOfWeek) };
    },
  };
}

/** One clock per zone, shared: Intl.DateTimeFormat is built once per zone per process. */
const clocks = new Map<string, ZonedClock>();
function sharedClock(timeZone: string): ZonedClock {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = zonedClock(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock;
}

/** e.g. 2026-12-04T21:06:01.123+01:00 for 20:06:01.123Z in Europe/Berlin. UTC gives +00:00, never Z. */
export function isoWithOffset(date: Date, timeZone: string): string {
  return sharedClock(timeZone).isoWithOffset(date);
}

/** Local midnight today and Monday 00:00 of the ISO week, both in `timeZone`. */
export function countWindows(now: Date, timeZone: string): { startOfToday: Date; startOfWeek: Date } {
  return sharedClock(timeZone).countWindows(now);
}

const OFFSET_SUFFIX = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Home Assistant's timestamp sensors reject naive times. The original stored naive UTC, so a
 * timestamp without an offset is read as UTC; anything else passes through untouched.
 */
export function ensureOffset(iso: string): string {
  return iso.includes("T") && !OFFSET_SUFFIX.test(iso) ? `${iso}Z` : iso;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}
