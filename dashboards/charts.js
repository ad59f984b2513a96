// The two charts of the dashboard, drawn as plain SVG: a trend over waves (line, 95%
// interval as a band, a gap at a series break or a suppressed figure) and the latest wave
// per group (horizontal bars with interval whiskers). Colours come from CSS classes
// (dashboard.css, also for print); sizes and positions are SVG presentation attributes,
// so nothing here needs an inline style (the page's CSP forbids them).
//
// Each chart is drawn at the width its container has, so its text keeps its real size;
// the caller draws it again when that width changes. Every figure has a tooltip, shown on
// hover and on keyboard focus (one tab stop per chart, arrow keys move, Escape hides it).

import { fill } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const FONT = { axis: 13, value: 14, label: 15, small: 12, tip: 13 };
const LINE = 18; // line height of wrapped labels

let measurer = null;

function measure(text, size = FONT.label, bold = false) {
  if (!measurer) measurer = document.createElement("canvas").getContext("2d");
  const family = getComputedStyle(document.body).fontFamily || "sans-serif";
  measurer.font = `${bold ? "700 " : ""}${size}px ${family}`;
  return measurer.measureText(text).width;
}

/** Words wrapped into lines no wider than `width` (a long word gets a line of its own). */
function wrap(text, width, size = FONT.label, bold = false) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/\s+/)) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && measure(candidate, size, bold) > width) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function node(name, attrs = {}, parent = null) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) element.setAttribute(key, String(value));
  }
  if (parent) parent.appendChild(element);
  return element;
}

function label(parent, x, y, content, attrs = {}) {
  const element = node("text", { x, y, ...attrs }, parent);
  element.textContent = content;
  return element;
}

function lines(parent, x, y, texts, attrs = {}) {
  texts.forEach((content, k) => label(parent, x, y + k * LINE, content, attrs));
}

function triangle(cx, cy, size, up) {
  const h = size * 0.9;
  return up
    ? `M${cx},${cy - h} L${cx + size},${cy + h * 0.75} L${cx - size},${cy + h * 0.75} Z`
    : `M${cx},${cy + h} L${cx + size},${cy - h * 0.75} L${cx - size},${cy - h * 0.75} Z`;
}

/** A y (or x) scale from 0 to a round maximum, with its ticks. */
function scale(maximum, kind, maxTicks = 6) {
  const max = Math.max(maximum, kind === "mean" ? 1 : 0.01);
  const steps =
    kind === "mean"
      ? [1, 2, 2.5, 5].flatMap((m) => [-1, 0, 1, 2, 3].map((e) => m * 10 ** e)).sort((a, b) => a - b)
      : [0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
  let step = steps[steps.length - 1];
  for (const candidate of steps) {
    if (Math.ceil(max / candidate - 1e-9) <= Math.max(1, maxTicks - 1)) {
      step = candidate;
      break;
    }
  }
  let top = Math.ceil(max / step - 1e-9) * step;
  if (kind !== "mean") top = Math.min(top, 1);
  const ticks = [];
  for (let v = 0; v <= top + 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return { top, ticks };
}

/** What a hidden figure shows instead of a number: why it is not published (the API's
 * `reason`; figures stored before reasons were kept say "too few responses"). */
export function hiddenText(point, t) {
  return t[`hidden_${point.reason}`] ?? t.too_few;
}

/** The legend's lines for the hidden figures among `points`: one per reason. */
export function hiddenLegend(points, t) {
  const reasons = new Set(points.filter((p) => p.suppressed).map((p) => p.reason));
  return [...reasons].map((r) => ["suppressed", t[`legend_${r}`] ?? t.legend_suppressed]);
}

/** What a figure's tooltip (and its accessible name) says, line by line. */
export function describe(point, heading, fmt, t) {
  const out = [heading];
  if (point.suppressed || point.estimate === null) {
    out.push(hiddenText(point, t));
  } else {
    out.push(`${fmt.value(point.estimate)} (${fmt.intervalWords(point.ci_low, point.ci_high)})`);
    out.push(
      `${fill(t.n_is, { n: fmt.count(point.n) })} · ${fill(t.rate_is, { rate: fmt.rate(point.response_rate) })}`,
    );
  }
  const change = changeText(point, fmt, t);
  if (change) out.push(change);
  return out;
}

export function changeText(point, fmt, t) {
  const change = point.change;
  if (change) {
    if (change.significant) {
      return fill(change.difference > 0 ? t.sig_up : t.sig_down, { wave: change.vs_wave });
    }
    return `${fill(t.change_is, { diff: fmt.difference(change.difference), wave: change.vs_wave })} (${t.not_significant})`;
  }
  if (point.series_break) return t.not_comparable;
  return "";
}

class Tooltip {
  constructor(svg, width, height) {
    this.svg = svg;
    this.width = width;
    this.height = height;
    this.group = null;
  }

  show(x, y, texts) {
    this.hide();
    const pad = 8;
    const w = Math.max(...texts.map((s, k) => measure(s, FONT.tip, k === 0))) + pad * 2;
    const h = texts.length * LINE + pad * 2 - 4;
    let left = x + 14;
    if (left + w > this.width - 2) left = Math.max(2, x - 14 - w);
    const top = Math.min(Math.max(2, y - h / 2), this.height - h - 2);
    const g = node("g", { class: "tip", "aria-hidden": "true" }, this.svg);
    node("rect", { x: left, y: top, width: w, height: h, rx: 3, class: "tip-box" }, g);
    texts.forEach((s, k) =>
      label(g, left + pad, top + pad + 13 + k * LINE, s, {
        "font-size": FONT.tip,
        class: k === 0 ? "tip-text tip-head" : "tip-text",
      }),
    );
    this.group = g;
  }

  hide() {
    if (this.group) this.group.remove();
    this.group = null;
  }
}

// Escape hides any tooltip, also one shown by the mouse (WCAG 1.4.13: dismissable).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll(".chart-svg .tip").forEach((tip) => tip.remove());
  document.querySelectorAll(".chart-svg .hit.active").forEach((g) => g.classList.remove("active"));
});

/** One tab stop for all figures of a chart; arrows move, Escape hides the tooltip. */
function interactive(svg, items, tooltip) {
  let focused = -1;
  const show = (k) => {
    const item = items[k];
    svg.querySelectorAll(".hit.active").forEach((g) => g.classList.remove("active"));
    item.element.classList.add("active");
    tooltip.show(item.x, item.y, item.texts);
  };
  const hide = () => {
    svg.querySelectorAll(".hit.active").forEach((g) => g.classList.remove("active"));
    tooltip.hide();
  };
  items.forEach((item, k) => {
    const g = item.element;
    g.setAttribute("tabindex", k === 0 ? "0" : "-1");
    g.addEventListener("focus", () => {
      focused = k;
      items.forEach((other, j) => other.element.setAttribute("tabindex", j === k ? "0" : "-1"));
      show(k);
    });
    g.addEventListener("blur", () => {
      focused = -1;
      hide();
    });
    g.addEventListener("pointerenter", () => show(k));
    g.addEventListener("pointerleave", () => (focused >= 0 ? show(focused) : hide()));
  });
  svg.addEventListener("keydown", (event) => {
    if (focused < 0) return;
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in moves) next = Math.min(items.length - 1, Math.max(0, focused + moves[event.key]));
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = items.length - 1;
    else if (event.key === "Escape") {
      hide();
      event.preventDefault();
      return;
    }
    if (next === null) return;
    event.preventDefault();
    items[next].element.focus();
  });
}

function frame(container, width, height, name, hintId) {
  container.replaceChildren();
  const svg = node(
    "svg",
    {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "group",
      "aria-label": name,
      "aria-describedby": hintId,
      class: "chart-svg",
    },
    container,
  );
  return svg;
}

/**
 * The trend of one group over the waves.
 * points: the group's trend points in wave order; opts: {fmt, t, width, name, hintId, group}
 */
export function drawTrend(container, points, opts) {
  const { fmt, t } = opts;
  const width = Math.max(280, Math.round(opts.width));
  const height = width < 520 ? 270 : 310;
  const shown = points.filter((p) => !p.suppressed && p.estimate !== null);
  const { top, ticks } = scale(Math.max(0, ...shown.map((p) => Math.max(p.ci_high ?? 0, p.estimate))), fmt.kind);
  const tickWidth = Math.max(...ticks.map((v) => measure(fmt.axis(v), FONT.axis)));
  const slots = Math.max(points.length, 1);
  const m = { top: 30, right: 12, left: Math.ceil(tickWidth) + 14, bottom: 0 };
  const slot = (width - m.left - m.right) / slots;
  const metaWidth = Math.max(
    0,
    ...points.map((p) => measure(fill(t.n_is, { n: fmt.count(p.n) }), FONT.small)),
    ...points.map((p) => measure(fill(t.rate_is, { rate: fmt.rate(p.response_rate) }), FONT.small)),
  );
  const showMeta = metaWidth <= slot - 6;
  m.bottom = showMeta ? 70 : 34;
  const plotBottom = height - m.bottom;
  const x = (k) => m.left + slot * (k + 0.5);
  const y = (v) => plotBottom - (v / top) * (plotBottom - m.top);

  const svg = frame(container, width, height, opts.name, opts.hintId);
  const grid = node("g", { class: "axis", "aria-hidden": "true" }, svg);
  for (const v of ticks) {
    node("line", { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: v === 0 ? "baseline" : "grid" }, grid);
    label(grid, m.left - 8, y(v) + 4, fmt.axis(v), { "text-anchor": "end", "font-size": FONT.axis, class: "axis-text" });
  }
  points.forEach((p, k) => {
    label(grid, x(k), plotBottom + 22, p.wave, { "text-anchor": "middle", "font-size": FONT.axis, class: "axis-text strong" });
    if (showMeta && !p.suppressed) {
      label(grid, x(k), plotBottom + 42, fill(t.n_is, { n: fmt.count(p.n) }), {
        "text-anchor": "middle",
        "font-size": FONT.small,
        class: "axis-text muted",
      });
      label(grid, x(k), plotBottom + 60, fill(t.rate_is, { rate: fmt.rate(p.response_rate) }), {
        "text-anchor": "middle",
        "font-size": FONT.small,
        class: "axis-text muted",
      });
    }
  });

  // Segments: a series break or a figure that is not shown interrupts the line.
  const segments = [];
  const breaks = [];
  let current = [];
  points.forEach((p, k) => {
    if (p.series_break && k > 0) {
      breaks.push(k);
      if (current.length) segments.push(current);
      current = [];
    }
    if (p.suppressed || p.estimate === null) {
      if (current.length) segments.push(current);
      current = [];
      return;
    }
    current.push({ p, k });
  });
  if (current.length) segments.push(current);

  const data = node("g", { class: "series", "aria-hidden": "true" }, svg);
  for (const segment of segments) {
    if (segment.length > 1) {
      const upper = segment.map(({ p, k }) => `${x(k)},${y(p.ci_high)}`);
      const lower = segment.map(({ p, k }) => `${x(k)},${y(p.ci_low)}`).reverse();
      node("path", { d: `M${upper.join(" L")} L${lower.join(" L")} Z`, class: "band" }, data);
      node("path", { d: `M${upper.join(" L")}`, class: "band-edge" }, data);
      node("path", { d: `M${lower.reverse().join(" L")}`, class: "band-edge" }, data);
      node("path", { d: `M${segment.map(({ p, k }) => `${x(k)},${y(p.estimate)}`).join(" L")}`, class: "line" }, data);
    } else {
      const [{ p, k }] = segment;
      node("line", { x1: x(k), x2: x(k), y1: y(p.ci_low), y2: y(p.ci_high), class: "whisker" }, data);
      for (const v of [p.ci_low, p.ci_high]) {
        node("line", { x1: x(k) - 6, x2: x(k) + 6, y1: y(v), y2: y(v), class: "whisker" }, data);
      }
    }
  }
  for (const k of breaks) {
    const bx = x(k) - slot / 2;
    const g = node("g", { class: "break-mark" }, data);
    node("line", { x1: bx, x2: bx, y1: m.top - 6, y2: plotBottom, class: "break-line" }, g);
    label(g, bx, m.top - 12, t.break_label, { "text-anchor": "middle", "font-size": FONT.small, class: "break-text" });
  }

  const items = [];
  const hits = node("g", { class: "hits" }, svg);
  points.forEach((p, k) => {
    const hidden = p.suppressed || p.estimate === null;
    const cx = x(k);
    const g = node("g", { class: "hit", role: "img", "data-wave": p.wave }, hits);
    node("rect", { x: cx - slot / 2 + 2, y: m.top - 4, width: slot - 4, height: plotBottom - m.top + 8, class: "hit-area" }, g);
    let anchor = plotBottom - 30;
    if (hidden) {
      const words = wrap(hiddenText(p, t), slot - 10, FONT.small);
      lines(g, cx, plotBottom - 12 - (words.length - 1) * LINE, words, {
        "text-anchor": "middle",
        "font-size": FONT.small,
        class: "suppressed-text",
      });
    } else {
      const cy = y(p.estimate);
      anchor = cy;
      const sig = p.change && p.change.significant;
      if (sig) {
        node("path", { d: triangle(cx, cy, 8, p.change.difference > 0), class: "point sig" }, g);
      } else {
        node("circle", { cx, cy, r: 5, class: "point" }, g);
      }
      const text = fmt.value(p.estimate);
      if (measure(text, FONT.value, true) < slot - 4) {
        const above = y(p.ci_high) - cy < -22 ? cy - 14 : Math.max(m.top + 10, y(p.ci_high) - 8);
        label(g, cx, above, text, { "text-anchor": "middle", "font-size": FONT.value, class: "value" });
      }
    }
    const texts = describe(p, `${p.wave} · ${opts.group}`, fmt, t);
    g.setAttribute("aria-label", texts.join(". "));
    items.push({ element: g, x: cx, y: anchor, texts });
  });
  interactive(svg, items, new Tooltip(svg, width, height));
  return svg;
}

/**
 * The latest wave per group: one row per figure, sections per organisation.
 * rows: [{type: "section", label} | {type: "total"|"group", label, point}]
 */
export function drawBars(container, rows, opts) {
  const { fmt, t } = opts;
  const width = Math.max(280, Math.round(opts.width));
  const narrow = width < 560;
  const figures = rows.filter((r) => r.type !== "section");
  const shown = figures.map((r) => r.point).filter((p) => !p.suppressed && p.estimate !== null);
  const valueWidth = Math.max(
    ...figures.map((r) => measure(hiddenText(r.point, t), FONT.value)),
    ...shown.map((p) => measure(fmt.value(p.estimate), FONT.value, true)),
  );
  const labelWidth = narrow
    ? width
    : Math.min(Math.max(...rows.map((r) => measure(r.label, FONT.label, r.type !== "group"))) + 4, width * 0.38, 300);
  const x0 = narrow ? 4 : labelWidth + 16;
  const x1 = width - Math.min(valueWidth, 90) - 30;
  const maximum = Math.max(0, ...shown.map((p) => Math.max(p.ci_high ?? 0, p.estimate)));
  const { top, ticks } = scale(maximum, fmt.kind, Math.min(7, Math.floor((x1 - x0) / 64) + 1));
  const x = (v) => x0 + (v / top) * (x1 - x0);

  // Lay the rows out first: their height depends on how their labels wrap.
  const axisHeight = 28;
  let cursor = axisHeight + 6;
  const layout = rows.map((r, k) => {
    const bold = r.type !== "group";
    const wrapped = wrap(r.label, narrow ? width - 8 : labelWidth, FONT.label, bold);
    let box;
    if (r.type === "section") {
      const gap = k === 0 ? 6 : 22;
      box = { y: cursor + gap, text: cursor + gap + 16, height: gap + wrapped.length * LINE + 6 };
    } else if (narrow) {
      const h = wrapped.length * LINE + 24 + 14;
      box = { y: cursor, text: cursor + 15, bar: cursor + wrapped.length * LINE + 14, height: h };
    } else {
      const h = Math.max(wrapped.length * LINE, 22) + 16;
      box = { y: cursor, text: cursor + h / 2 - ((wrapped.length - 1) * LINE) / 2 + 5, bar: cursor + h / 2, height: h };
    }
    cursor += box.height;
    return { row: r, wrapped, ...box };
  });
  const height = Math.ceil(cursor + 8);

  const svg = frame(container, width, height, opts.name, opts.hintId);
  const axis = node("g", { class: "axis", "aria-hidden": "true" }, svg);
  for (const v of ticks) {
    node("line", { x1: x(v), x2: x(v), y1: axisHeight - 4, y2: height - 4, class: v === 0 ? "baseline" : "grid" }, axis);
    const anchor = v === 0 ? "start" : v === ticks[ticks.length - 1] ? "end" : "middle";
    label(axis, v === 0 ? x(v) - 1 : x(v), 16, fmt.axis(v), { "text-anchor": anchor, "font-size": FONT.axis, class: "axis-text" });
  }

  const items = [];
  const body = node("g", { class: "rows" }, svg);
  for (const box of layout) {
    const { row } = box;
    if (row.type === "section") {
      const g = node("g", { class: "section", "aria-hidden": "true" }, body);
      lines(g, 0, box.text, box.wrapped, { "font-size": FONT.label, class: "section-text halo" });
      continue;
    }
    const p = row.point;
    const g = node(
      "g",
      { class: `hit ${row.type === "total" ? "row-total" : "row-group"}`, role: "img", "data-group": p.group ?? "" },
      body,
    );
    node("rect", { x: 0, y: box.y + 1, width, height: box.height - 2, class: "hit-area" }, g);
    lines(g, narrow ? 4 : 0, box.text, box.wrapped, {
      "font-size": FONT.label,
      class: row.type === "total" ? "row-label strong halo" : "row-label halo",
    });
    const cy = box.bar;
    let anchorX = x0 + 8;
    if (p.suppressed || p.estimate === null) {
      const hidden = hiddenText(p, t);
      label(g, x0 + 8, cy + 5, hidden, { "font-size": FONT.value, class: "suppressed-text" });
      anchorX = x0 + 8 + measure(hidden, FONT.value);
    } else {
      node(
        "rect",
        { x: x0, y: cy - 9, width: Math.max(1, x(p.estimate) - x0), height: 18, class: row.type === "total" ? "bar bar-total" : "bar" },
        g,
      );
      const lo = x(p.ci_low);
      const hi = x(p.ci_high);
      for (const cls of row.type === "total" ? ["whisker-halo", "whisker"] : ["whisker"]) {
        const w = node("g", { class: cls }, g);
        node("line", { x1: lo, x2: hi, y1: cy, y2: cy }, w);
        node("line", { x1: lo, x2: lo, y1: cy - 6, y2: cy + 6 }, w);
        node("line", { x1: hi, x2: hi, y1: cy - 6, y2: cy + 6 }, w);
      }
      const tx = Math.max(hi, x(p.estimate)) + 8;
      const text = fmt.value(p.estimate);
      label(g, tx, cy + 5, text, { "font-size": FONT.value, class: "value" });
      anchorX = tx + measure(text, FONT.value, true);
      if (p.change && p.change.significant) {
        node("path", { d: triangle(anchorX + 11, cy, 7, p.change.difference > 0), class: "point sig" }, g);
        anchorX += 20;
      }
    }
    const texts = describe(p, row.label, fmt, t);
    g.setAttribute("aria-label", texts.join(". "));
    items.push({ element: g, x: Math.min(anchorX, width - 40), y: cy, texts });
  }
  interactive(svg, items, new Tooltip(svg, width, height));
  return svg;
}

/**
 * A family (a distribution over ordered categories) over the waves: one bar per wave,
 * stacked from the first category up, each part with its interval in its tooltip.
 * columns: [{wave, points}] with one trend point per category, in category order;
 * categories: their names; opts: {fmt, t, width, name, hintId, group}
 */
export function drawStacked(container, columns, categories, opts) {
  const { fmt, t } = opts;
  const width = Math.max(280, Math.round(opts.width));
  const height = width < 520 ? 290 : 330;
  const { ticks } = scale(1, "proportion");
  const tickWidth = Math.max(...ticks.map((v) => measure(fmt.axis(v), FONT.axis)));
  const m = { top: 16, right: 12, left: Math.ceil(tickWidth) + 14, bottom: 34 };
  const slot = (width - m.left - m.right) / Math.max(columns.length, 1);
  const barWidth = Math.min(72, slot * 0.6);
  const plotBottom = height - m.bottom;
  const x = (k) => m.left + slot * (k + 0.5);
  const y = (v) => plotBottom - v * (plotBottom - m.top);

  const svg = frame(container, width, height, opts.name, opts.hintId);
  const grid = node("g", { class: "axis", "aria-hidden": "true" }, svg);
  for (const v of ticks) {
    node("line", { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: v === 0 ? "baseline" : "grid" }, grid);
    label(grid, m.left - 8, y(v) + 4, fmt.axis(v), { "text-anchor": "end", "font-size": FONT.axis, class: "axis-text" });
  }
  columns.forEach((c, k) => {
    label(grid, x(k), plotBottom + 22, c.wave, { "text-anchor": "middle", "font-size": FONT.axis, class: "axis-text strong" });
  });

  const items = [];
  const hits = node("g", { class: "hits" }, svg);
  columns.forEach((c, k) => {
    const shown = c.points.every((p) => p && !p.suppressed && p.estimate !== null);
    if (!shown) {
      // The categories of a family hide the same groups: the whole bar or none.
      const hidden = c.points.find((p) => p && p.suppressed) || { reason: null };
      const g = node("g", { class: "hit", role: "img", "data-wave": c.wave }, hits);
      node("rect", { x: x(k) - slot / 2 + 2, y: m.top, width: slot - 4, height: plotBottom - m.top, class: "hit-area" }, g);
      const words = wrap(hiddenText(hidden, t), slot - 10, FONT.small);
      lines(g, x(k), plotBottom - 12 - (words.length - 1) * LINE, words, {
        "text-anchor": "middle",
        "font-size": FONT.small,
        class: "suppressed-text",
      });
      const texts = [`${c.wave} · ${opts.group}`, hiddenText(hidden, t)];
      g.setAttribute("aria-label", texts.join(". "));
      items.push({ element: g, x: x(k), y: plotBottom - 20, texts });
      return;
    }
    let base = 0;
    c.points.forEach((p, j) => {
      // Rounded shares may add up to a little more than 1: the last part stops at the top.
      const share = Math.max(0, Math.min(p.estimate, 1 - base));
      const g = node("g", { class: "hit", role: "img", "data-wave": c.wave, "data-category": j }, hits);
      node(
        "rect",
        { x: x(k) - barWidth / 2, y: y(base + share), width: barWidth, height: Math.max(0, y(base) - y(base + share)), class: `segment segment-${j}` },
        g,
      );
      const texts = describe(p, `${c.wave} · ${opts.group} · ${categories[j]}`, fmt, t);
      g.setAttribute("aria-label", texts.join(". "));
      items.push({ element: g, x: x(k) + barWidth / 2, y: y(base + share / 2), texts });
      base += share;
    });
  });
  interactive(svg, items, new Tooltip(svg, width, height));
  return svg;
}
