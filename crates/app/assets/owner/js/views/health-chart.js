/*
 * Owner dashboard: the health chart, quality and messaging limit over time as two step lines
 * in an SVG (presentation attributes only, so the CSP holds).
 */

import { h, isObj, svg } from "../dom.js";
import { fullTime } from "../format.js";

// Messaging limit tiers, lowest first (rank = index).
const TIERS = ["TIER_NOT_SET", "TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"];

const TIER_SHORT = ["Not set", "50", "250", "1K", "2K", "10K", "100K", "Unlimited"];

const QUALITY_FILL = { GREEN: "#1a7f37", YELLOW: "#b58100", RED: "#c62828", UNKNOWN: "#6b7280" };

const QUALITY_ROWS = ["GREEN", "YELLOW", "RED", "UNKNOWN"]; // top to bottom (3, 2, 1, 0)

export function snapQuality(s) {
  return isObj(s) && typeof s.quality_rating === "string" ? s.quality_rating.toUpperCase() : null;
}

export function snapTier(s) {
  if (!isObj(s)) return null;
  if (typeof s.messaging_limit === "string") return s.messaging_limit;
  const m = s.messaging_limits;
  if (isObj(m)) return m.portfolio_tier || m.legacy_tier || null;
  return null;
}

/** A step series: the value before the first change, every change, and the value now. */
function series(history, pick, now) {
  const events = history
    .map((e) => ({ t: Date.parse(e.occurred_at || e.recorded_at), e }))
    .filter((x) => !Number.isNaN(x.t))
    .sort((a, b) => a.t - b.t);
  const pts = [];
  for (const { t, e } of events) {
    const before = pick(e.before);
    const after = pick(e.after);
    if (!pts.length && before) pts.push({ t, v: before, start: true });
    if (after && (!pts.length || pts[pts.length - 1].v !== after)) pts.push({ t, v: after });
  }
  if (pts.length && now) pts.push({ t: Date.now(), v: now, now: true });
  return pts;
}

export function drawChart(box, history, d) {
  const quality = series(history, snapQuality, String(d.quality_rating || "").toUpperCase() || null);
  const tiers = series(history, snapTier, d.messaging_limit || null).filter((p) => TIERS.includes(p.v));
  if (!quality.length && !tiers.length) {
    box.append(h("p", { class: "muted", text: "No quality or limit changes recorded yet: the chart appears after the first one." }));
    return;
  }
  const W = Math.max(300, Math.round(box.clientWidth || 600));
  const left = 74;
  const right = 14;
  const qTop = 26;
  const qRow = 26;
  const qH = qRow * 3;
  const tTop = qTop + qH + 44;
  const tRow = 18;
  const tH = tRow * (TIERS.length - 1);
  const H = tTop + tH + 36;
  const all = quality.concat(tiers).map((p) => p.t);
  let t0 = Math.min(...all);
  let t1 = Math.max(...all, Date.now());
  if (t1 - t0 < 60000) t0 = t1 - 3600000;
  t0 -= (t1 - t0) * 0.04;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const qy = (v) => qTop + QUALITY_ROWS.indexOf(v) * qRow;
  const ty = (v) => tTop + (TIERS.length - 1 - TIERS.indexOf(v)) * tRow;

  const label = `Chart of quality and messaging limit over time. Quality now ${d.quality_rating || "unknown"}, limit ${
    d.messaging_limit || "unknown"
  }; ${history.length} recorded change${history.length === 1 ? "" : "s"}. The table below lists them.`;
  const root = svg("svg", { role: "img", "aria-label": label, viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, class: "chart-svg" });
  root.append(svg("title", { text: label }));

  // Panel titles and grid rows.
  root.append(svg("text", { x: 0, y: 14, class: "chart-title", text: "Quality" }));
  QUALITY_ROWS.forEach((q) => {
    const y = qy(q);
    root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#e5e7eb", "stroke-width": 1 }));
    root.append(svg("text", { x: left - 8, y: y + 4, "text-anchor": "end", class: "chart-label", text: q[0] + q.slice(1).toLowerCase() }));
  });
  root.append(svg("text", { x: 0, y: tTop - 14, class: "chart-title", text: "Messaging limit (customers/day)" }));
  TIERS.forEach((t, i) => {
    if (i === 0) return; // "not set" is drawn on the lowest row only if it occurs
    const y = ty(t);
    root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#eef0f3", "stroke-width": 1 }));
    root.append(svg("text", { x: left - 8, y: y + 4, "text-anchor": "end", class: "chart-label", text: TIER_SHORT[i] }));
  });

  const stepPath = (pts, yOf) =>
    pts.map((p, i) => (i === 0 ? `M ${x(p.start ? t0 : p.t).toFixed(1)} ${yOf(p.v)}` : `H ${x(p.t).toFixed(1)} V ${yOf(p.v)}`)).join(" ");

  if (quality.length) {
    root.append(svg("path", { d: stepPath(quality, qy), fill: "none", stroke: "#374151", "stroke-width": 2 }));
    for (const p of quality) {
      const c = svg("circle", { cx: x(p.start ? t0 : p.t).toFixed(1), cy: qy(p.v), r: 6, fill: QUALITY_FILL[p.v] || QUALITY_FILL.UNKNOWN, stroke: "#fff", "stroke-width": 2 });
      c.append(svg("title", { text: `${p.now ? "Now" : p.start ? "Before" : fullTime(new Date(p.t).toISOString())}: ${p.v}` }));
      root.append(c);
    }
  }
  if (tiers.length) {
    const tyd = (v) => (v === "TIER_NOT_SET" ? ty("TIER_50") + tRow * 0.5 : ty(v));
    root.append(svg("path", { d: stepPath(tiers, tyd), fill: "none", stroke: "#1d4ed8", "stroke-width": 2 }));
    for (const p of tiers) {
      const c = svg("rect", { x: (x(p.start ? t0 : p.t) - 5).toFixed(1), y: tyd(p.v) - 5, width: 10, height: 10, fill: "#1d4ed8", stroke: "#fff", "stroke-width": 2 });
      c.append(svg("title", { text: `${p.now ? "Now" : p.start ? "Before" : fullTime(new Date(p.t).toISOString())}: ${p.v}` }));
      root.append(c);
    }
  }

  // Time axis.
  const axisY = tTop + tH + 14;
  root.append(svg("line", { x1: left, x2: W - right, y1: axisY - 6, y2: axisY - 6, stroke: "#9ca3af", "stroke-width": 1 }));
  const longSpan = t1 - t0 > 2 * 86400000;
  const fmt = (t) => new Date(t).toLocaleString(undefined, longSpan ? { day: "numeric", month: "short" } : { hour: "2-digit", minute: "2-digit" });
  const ticks = W < 420 ? 3 : 5;
  for (let i = 0; i < ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / (ticks - 1);
    const anchor = i === 0 ? "start" : i === ticks - 1 ? "end" : "middle";
    root.append(svg("text", { x: x(t).toFixed(1), y: axisY + 12, "text-anchor": anchor, class: "chart-label", text: i === ticks - 1 ? "now" : fmt(t) }));
  }
  box.append(root);
}
