// Dates: the API speaks UTC ISO ('...Z'); people read Hanoi wall-clock time (UTC+7 all year, no DST).
import { lang } from "./i18n.js";

const HANOI_OFFSET_MS = 7 * 3600 * 1000;
const pad = (n) => String(n).padStart(2, "0");

/** Parts of a moment as a Hanoi clock shows them. */
function hanoiParts(date) {
  const d = new Date(date.getTime() + HANOI_OFFSET_MS);
  return {
    y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
    h: d.getUTCHours(), mi: d.getUTCMinutes(), wd: d.getUTCDay(),
  };
}

const WEEKDAYS_VI = ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
const WEEKDAYS_EN = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** "08:00, Thứ Năm, 03/12/2026" (Hanoi time); "" for null/invalid. */
export function formatDateTime(iso, { weekday = true } = {}) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const p = hanoiParts(date);
  const names = lang() === "en" ? WEEKDAYS_EN : WEEKDAYS_VI;
  const day = `${pad(p.d)}/${pad(p.mo)}/${p.y}`;
  return `${pad(p.h)}:${pad(p.mi)}, ${weekday ? names[p.wd] + ", " : ""}${day}`;
}

/** "08:00" (Hanoi time). */
export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const p = hanoiParts(date);
  return `${pad(p.h)}:${pad(p.mi)}`;
}

/** UTC ISO → value for <input type="datetime-local"> in Hanoi time ("2026-12-03T08:00"). */
export function toHanoiInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const p = hanoiParts(date);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}`;
}

/** <input type="datetime-local"> value read as Hanoi time → UTC ISO ('...Z'); null when empty/invalid. */
export function fromHanoiInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!m) return null;
  const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) - HANOI_OFFSET_MS;
  return new Date(utc).toISOString().replace(".000Z", "Z");
}
