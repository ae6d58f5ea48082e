// Dates: the API speaks UTC ISO ('...Z'); people read the organisation's wall clock. The zone is the server's
// ECABINET_TIMEZONE, given by the page in <meta name="timezone"> (never the tablet's own zone, never a constant).
import { t } from "./i18n.js";

const pad = (n) => String(n).padStart(2, "0");

/** The organisation's IANA time zone ("Asia/Ho_Chi_Minh" by default). */
export function timeZone() {
  return document.querySelector('meta[name="timezone"]')?.content || "Asia/Ho_Chi_Minh";
}

let parts = null;

/** Parts of a moment as the organisation's clock shows them. */
function zoneParts(date) {
  parts ??= new Intl.DateTimeFormat("en-US", {
    timeZone: timeZone(), hourCycle: "h23", weekday: "short",
    year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
  });
  const p = Object.fromEntries(parts.formatToParts(date).map((x) => [x.type, x.value]));
  const wd = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(p.weekday);
  return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second, wd };
}

const weekdayName = (wd) => t(`weekday.${wd}`); // 0 = Sunday

function valid(value) {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "08:00, Thứ Năm, 03/12/2026" on the organisation's clock; "" for null/invalid. */
export function formatDateTime(iso, { weekday = true } = {}) {
  const date = valid(iso);
  if (!date) return "";
  const p = zoneParts(date);
  return `${pad(p.h)}:${pad(p.mi)}, ${weekday ? weekdayName(p.wd) + ", " : ""}${pad(p.d)}/${pad(p.mo)}/${p.y}`;
}

/** "Thứ Năm, 03/12/2026" (the display's date line). */
export function formatDate(iso, { weekday = true } = {}) {
  const date = valid(iso);
  if (!date) return "";
  const p = zoneParts(date);
  return `${weekday ? weekdayName(p.wd) + ", " : ""}${pad(p.d)}/${pad(p.mo)}/${p.y}`;
}

/** "08:00" on the organisation's clock. */
export function formatTime(iso) {
  const date = valid(iso);
  if (!date) return "";
  const p = zoneParts(date);
  return `${pad(p.h)}:${pad(p.mi)}`;
}

/** UTC ISO → value for <input type="datetime-local"> on the organisation's clock ("2026-12-03T08:00"). */
export function toLocalInput(iso) {
  const date = valid(iso);
  if (!date) return "";
  const p = zoneParts(date);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}`;
}

/** Offset of the organisation's zone from UTC at a moment, in ms (DST-aware: the zone may have it). */
function offsetAt(ms) {
  const p = zoneParts(new Date(ms));
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
}

/** <input type="datetime-local"> value read on the organisation's clock → UTC ISO ('...Z'); null when invalid. */
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let utc = wall - offsetAt(wall);
  utc = wall - offsetAt(utc); // second pass: the offset at the moment itself, not at the wall-clock guess
  return new Date(utc).toISOString().replace(".000Z", "Z");
}
