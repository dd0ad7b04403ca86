/*
 * Owner dashboard: times and numbers as text, and <time> elements whose relative text
 * ("3 minutes ago") the entry keeps fresh.
 */

import { h } from "./dom.js";

const rtf = typeof Intl.RelativeTimeFormat === "function" ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;

export function relTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const secs = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(secs);
  if (abs < 45) return "just now";
  const units = [
    ["minute", 60, 3600],
    ["hour", 3600, 86400],
    ["day", 86400, 86400 * 30],
    ["month", 86400 * 30, 86400 * 365],
    ["year", 86400 * 365, Infinity],
  ];
  for (const [unit, size, upto] of units) {
    if (abs < upto) {
      const n = Math.round(secs / size);
      return rtf ? rtf.format(n, unit) : `${Math.abs(n)} ${unit}${Math.abs(n) === 1 ? "" : "s"} ${n < 0 ? "ago" : "from now"}`;
    }
  }
  return fullTime(iso);
}

export function fullTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** <time> with a relative text (kept fresh by a timer), the exact local time as title. */
export function timeEl(iso, opts = {}) {
  if (!iso) return h("span", { class: "muted", text: opts.never || "never" });
  return h("time", { datetime: iso, title: fullTime(iso), dataset: { rel: "1" }, text: relTime(iso) });
}

export function absTimeEl(iso) {
  if (!iso) return h("span", { class: "muted", text: "—" });
  return h("time", { datetime: iso, text: fullTime(iso) });
}

export const num = (n) => Number(n).toLocaleString();
