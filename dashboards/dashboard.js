// The public dashboard: reads the monitor's public trend API and shows, per indicator,
// the trend over the waves and the latest wave per organisation, unit or job group, each
// chart with a data table. Plain ES modules, no build step, no third-party code.
//
// Where the API is: <meta name="monitor-api" content="/api/v1"> in index.html (a path on
// this server or a full URL). `?api=/other/prefix` overrides it for a path on this same
// server only; an address on another server in a link is ignored, so that nobody can
// send round a link to this dashboard that shows someone else's figures.
// The page state lives in its URL: ?lang=en&indicator=…&by=unit&group=…&wave=…&sort=value
// (all optional).

import { Format, fill, language, otherLanguage, texts } from "./i18n.js";
import { changeText, drawBars, drawStacked, drawTrend, hiddenLegend, hiddenText } from "./charts.js";
import { csv, familyTable, figureTable, xlsx } from "./download.js";

// The frame's breakdowns, named here; others (tenure, age, gender) come from the API's
// list of breakdowns, with their names and groups.
const FRAME_BREAKDOWNS = ["organisation", "unit", "function_group"];
const BY_PATTERN = /^[a-z][a-z0-9_]{0,15}$/;
const DENOMINATORS = ["all", "threatened", "victims"];
const TIMEOUT_MS = 15000;
const PRINT_WIDTH = 680;
const SORTS = ["name", "value"];

const $ = (id) => document.getElementById(id);

class ApiError extends Error {}

function apiBase() {
  const meta = document.querySelector('meta[name="monitor-api"]');
  let base = new URL((meta && meta.content) || "/api/v1", document.baseURI);
  const override = new URLSearchParams(location.search).get("api");
  if (override) {
    try {
      const candidate = new URL(override, document.baseURI);
      if (candidate.origin === location.origin) base = candidate;
    } catch {
      // not a URL: keep the configured one
    }
  }
  return base.href.replace(/\/+$/, "");
}

const API = apiBase();
const params = new URLSearchParams(location.search);
const state = {
  lang: language(params.get("lang")),
  indicator: params.get("indicator") || "",
  by: BY_PATTERN.test(params.get("by") || "") ? params.get("by") : "organisation",
  group: params.get("group") || "",
  wave: params.get("wave") || "", // the breakdown's wave; empty: the latest
  sort: SORTS.includes(params.get("sort")) ? params.get("sort") : "name",
  indicators: [],
  breakdowns: [], // the API's breakdowns but "none": {id, label, groups}
};
const responses = new Map();
let generation = 0;

// --- fetching ---------------------------------------------------------------------------

async function fetchJson(path) {
  const url = `${API}${path}`;
  if (!responses.has(url)) {
    const request = (async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      let response;
      try {
        response = await fetch(url, {
          headers: { Accept: "application/json" },
          credentials: "omit",
          signal: controller.signal,
        });
      } catch (error) {
        throw new ApiError(error.name === "AbortError" ? "timeout" : "network error");
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok) {
        let detail = `HTTP ${response.status}`;
        try {
          const problem = await response.json();
          if (problem && problem.title) detail += ` ${problem.title}`;
        } catch {
          // not a problem document
        }
        throw new ApiError(detail);
      }
      try {
        return await response.json();
      } catch {
        throw new ApiError("invalid JSON");
      }
    })();
    responses.set(url, request);
    request.catch(() => responses.delete(url));
  }
  return responses.get(url);
}

function trendPath(indicator, by, lang = state.lang) {
  return `/public/trends/${encodeURIComponent(indicator)}?by=${by}&lang=${lang}`;
}

// --- small DOM helpers --------------------------------------------------------------------

function element(name, attrs = {}, content = null) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(key, String(value));
  }
  if (content !== null) node.append(content);
  return node;
}

function cell(tag, content, attrs = {}) {
  return element(tag, attrs, content);
}

// A tiny SVG swatch for the legends.
function swatch(kind) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ width: 28, height: 16, viewBox: "0 0 28 16", "aria-hidden": "true", class: "swatch" })) {
    svg.setAttribute(k, String(v));
  }
  const add = (name, attrs) => {
    const n = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    svg.appendChild(n);
  };
  if (kind === "line") {
    add("line", { x1: 2, x2: 26, y1: 8, y2: 8, class: "line" });
    add("circle", { cx: 14, cy: 8, r: 4, class: "point" });
  } else if (kind === "band") {
    add("rect", { x: 2, y: 2, width: 24, height: 12, class: "band" });
    add("line", { x1: 2, x2: 26, y1: 2, y2: 2, class: "band-edge" });
    add("line", { x1: 2, x2: 26, y1: 14, y2: 14, class: "band-edge" });
  } else if (kind === "sig") {
    add("path", { d: "M8,2 L14,13 L2,13 Z", class: "point sig" });
    add("path", { d: "M20,14 L26,3 L14,3 Z", class: "point sig" });
  } else if (kind === "break") {
    add("line", { x1: 14, x2: 14, y1: 0, y2: 16, class: "break-line" });
  } else if (kind === "bar") {
    add("rect", { x: 2, y: 3, width: 22, height: 10, class: "bar" });
  } else if (kind === "whisker") {
    add("line", { x1: 4, x2: 24, y1: 8, y2: 8, class: "whisker-solo" });
    add("line", { x1: 4, x2: 4, y1: 3, y2: 13, class: "whisker-solo" });
    add("line", { x1: 24, x2: 24, y1: 3, y2: 13, class: "whisker-solo" });
  } else if (kind === "suppressed") {
    add("rect", { x: 2.5, y: 3.5, width: 22, height: 9, class: "no-bar" });
  } else if (kind.startsWith("segment-")) {
    add("rect", { x: 2, y: 2, width: 24, height: 12, class: `segment ${kind}` });
  }
  return svg;
}

function legend(target, entries) {
  const list = element("ul", { class: "legend__list" });
  for (const [kind, text] of entries) {
    const item = element("li", { class: "legend__item" });
    item.append(swatch(kind), element("span", {}, text));
    list.append(item);
  }
  target.replaceChildren(list);
}

// --- charts: drawn at their container's width, again when it changes or for print --------

const charts = new Map();
const drawnWidth = new WeakMap();
let printing = false;

function chart(container, draw) {
  charts.set(container, draw);
  redraw(container);
}

function redraw(container, width = null) {
  const draw = charts.get(container);
  if (!draw) return;
  const w = width ?? (printing ? PRINT_WIDTH : Math.floor(container.getBoundingClientRect().width));
  if (w <= 0) return;
  drawnWidth.set(container, w);
  draw(w);
}

const resized = new Set();
const observer = new ResizeObserver((entries) => {
  for (const entry of entries) resized.add(entry.target);
  // Drawn in the next frame, so that a redraw never feeds back into this callback.
  requestAnimationFrame(() => {
    for (const container of resized) {
      const width = Math.floor(container.getBoundingClientRect().width);
      if (!printing && width > 0 && width !== drawnWidth.get(container)) redraw(container, width);
    }
    resized.clear();
  });
});

// Printed: every table open, charts drawn at the width of an A4 page.
const openedForPrint = [];
window.addEventListener("beforeprint", () => {
  printing = true;
  for (const details of document.querySelectorAll("details:not([open])")) {
    details.open = true;
    openedForPrint.push(details);
  }
  for (const container of charts.keys()) redraw(container, PRINT_WIDTH);
});
window.addEventListener("afterprint", () => {
  printing = false;
  while (openedForPrint.length) openedForPrint.pop().open = false;
  for (const container of charts.keys()) redraw(container);
});

// --- texts, URL, states ---------------------------------------------------------------------

function applyTexts() {
  const t = texts(state.lang);
  document.documentElement.lang = state.lang;
  document.title = t.doc_title;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t[node.dataset.t];
  for (const node of document.querySelectorAll("[data-t-label]")) {
    node.setAttribute("aria-label", t[node.dataset.tLabel]);
  }
  const other = otherLanguage(state.lang);
  const link = $("language-switch");
  link.textContent = texts(other).language_name;
  link.lang = other;
  link.hreflang = other;
  link.href = pageUrl({ lang: other });
  const method = $("method-body");
  method.replaceChildren(
    ...t.method.map(([title, body]) => {
      const part = element("div", { class: "method__part" });
      part.append(element("h3", {}, title), element("p", {}, body));
      return part;
    }),
  );
}

function pageUrl(overrides = {}) {
  const s = { ...state, ...overrides };
  const query = new URLSearchParams(location.search);
  const set = (key, value, fallback) => (value && value !== fallback ? query.set(key, value) : query.delete(key));
  set("lang", s.lang, "nl");
  set("indicator", s.indicator, "");
  set("by", s.by, "organisation");
  set("group", s.group, "");
  set("wave", s.wave, "");
  set("sort", s.sort, "name");
  const search = query.toString();
  return `${location.pathname}${search ? `?${search}` : ""}`;
}

function remember() {
  history.replaceState(null, "", pageUrl());
  $("language-switch").href = pageUrl({ lang: otherLanguage(state.lang) });
}

/** Loading is shown; "updated" is only announced (screen readers), not shown. */
function setStatus(text, quiet = false) {
  $("status").textContent = text;
  $("status").classList.toggle("visually-hidden", quiet);
}

function showError(error) {
  const t = texts(state.lang);
  $("results").hidden = true;
  $("empty").hidden = true;
  $("error").hidden = false;
  $("error-detail").textContent = fill(t.error_detail, { detail: error.message || String(error) });
  $("controls").hidden = state.indicators.length === 0;
  setStatus("");
}

function showEmpty(text) {
  $("results").hidden = true;
  $("error").hidden = true;
  $("empty").hidden = false;
  $("empty").textContent = text;
  setStatus("");
}

// --- groups ---------------------------------------------------------------------------------

function groupLabel(point) {
  return point.group_label || point.group || "";
}

/** The groups of a breakdown, each with its organisation where that is known: from the
 * API (`organisation`) or, failing that, from a code that starts with an organisation's
 * code and a hyphen (pol-ams). Sorted by organisation, then by name. */
function groupsOf(breakdown, organisations) {
  const orgs = new Map();
  for (const p of organisations.points) orgs.set(p.group, groupLabel(p));
  const seen = new Map();
  for (const p of breakdown.points) seen.set(p.group, p); // the latest wave's wording wins
  const groups = [...seen.values()].map((p) => {
    let org = null;
    if (breakdown.by !== "organisation") {
      const prefix = String(p.group).split("-")[0];
      org = p.organisation ?? (orgs.has(prefix) && p.group !== prefix ? prefix : null);
    }
    return { code: p.group, label: groupLabel(p), org, orgLabel: org ? orgs.get(org) || org : null };
  });
  const sectioned = groups.length > 0 && groups.every((g) => g.org);
  const collator = new Intl.Collator(texts(state.lang).locale);
  // A breakdown by an answer keeps the questionnaire's order (age bands, say).
  const order = Object.keys(breakdownOf(breakdown.by)?.groups ?? {});
  const place = (g) => (order.includes(g.code) ? order.indexOf(g.code) : order.length);
  groups.sort(
    (a, b) =>
      (sectioned ? collator.compare(a.orgLabel, b.orgLabel) : 0) ||
      place(a) - place(b) ||
      collator.compare(a.label, b.label),
  );
  return { groups, sectioned };
}

function breakdownOf(by) {
  return state.breakdowns.find((b) => b.id === by);
}

/** How a breakdown is named: the frame's in this page's words, others by the API. */
function breakdownName(by, t) {
  return FRAME_BREAKDOWNS.includes(by) ? t[`by_${by}`] : breakdownOf(by)?.label ?? by;
}

/** "per organisation", "by age". */
function perText(t) {
  if (FRAME_BREAKDOWNS.includes(state.by)) return t[`per_${state.by}`];
  return fill(t.per_answer, { name: breakdownName(state.by, t).toLowerCase() });
}

/** The families among the indicators (distributions: one indicator per category), by id:
 * {id, label, description, denominator, members in category order}. */
function familiesOf(indicators) {
  const families = new Map();
  for (const i of indicators.filter((x) => x.family)) {
    if (!families.has(i.family)) {
      families.set(i.family, {
        id: i.family,
        label: i.family_label || i.family,
        description: i.family_description || "",
        denominator: i.denominator,
        members: [],
      });
    }
    families.get(i.family).members.push(i);
  }
  for (const f of families.values()) f.members.sort((a, b) => a.category_order - b.category_order);
  return families;
}

// --- rendering ------------------------------------------------------------------------------

function renderControls() {
  const t = texts(state.lang);
  const select = $("indicator");
  const families = familiesOf(state.indicators);
  const groups = DENOMINATORS.map((d) => {
    const og = element("optgroup", { label: t[`among_${d}`] });
    const offered = new Set();
    for (const i of state.indicators.filter((x) => x.denominator === d)) {
      // A family is offered once, where its first member would be; its categories
      // are its parts, not topics of their own.
      const id = i.family && families.has(i.family) ? i.family : i.id;
      if (offered.has(id)) continue;
      offered.add(id);
      og.append(element("option", { value: id }, id === i.id ? i.label : families.get(id).label));
    }
    return og;
  }).filter((og) => og.children.length);
  select.replaceChildren(...groups);
  select.value = state.indicator;
  $("breakdown").replaceChildren(
    ...state.breakdowns.map((b) => element("option", { value: b.id }, breakdownName(b.id, t))),
  );
  $("breakdown").value = state.by;
  $("controls").hidden = false;
}

function renderGroupPicker(grouping) {
  const t = texts(state.lang);
  const select = $("group");
  const options = [element("option", { value: "" }, t.all_staff)];
  if (grouping.sectioned) {
    const sections = new Map();
    for (const g of grouping.groups) {
      if (!sections.has(g.org)) sections.set(g.org, element("optgroup", { label: g.orgLabel }));
      sections.get(g.org).append(element("option", { value: g.code }, g.label));
    }
    options.push(...sections.values());
  } else {
    for (const g of grouping.groups) options.push(element("option", { value: g.code }, g.label));
  }
  select.replaceChildren(...options);
  select.value = state.group;
}

function headerRow(t, first, kind) {
  const row = element("tr");
  row.append(
    cell("th", first, { scope: "col" }),
    cell("th", t[`kind_${kind}`], { scope: "col", class: "num" }),
    cell("th", t.col_interval, { scope: "col", class: "num" }),
    cell("th", t.col_n, { scope: "col", class: "num" }),
    cell("th", t.col_rate, { scope: "col", class: "num" }),
    cell("th", t.col_change, { scope: "col" }),
  );
  return element("thead", {}, row);
}

function figureRow(t, fmt, heading, point, headingClass = null) {
  const row = element("tr", { "data-wave": point.wave, "data-group": point.group ?? "" });
  row.append(cell("th", heading, { scope: "row", class: headingClass }));
  if (point.suppressed || point.estimate === null) {
    row.append(
      cell("td", hiddenText(point, t), { class: "num suppressed" }),
      cell("td", t.none, { class: "num" }),
      cell("td", t.none, { class: "num" }),
      cell("td", t.none, { class: "num" }),
    );
  } else {
    row.append(
      cell("td", fmt.value(point.estimate), { class: "num estimate" }),
      cell("td", fmt.interval(point.ci_low, point.ci_high), { class: "num" }),
      cell("td", fmt.count(point.n), { class: "num" }),
      cell("td", fmt.rate(point.response_rate), { class: "num" }),
    );
  }
  const change = element("td", { class: "change" });
  const c = point.change;
  if (c) {
    if (c.significant) {
      change.append(element("span", { class: "sig-mark", "aria-hidden": "true" }, c.difference > 0 ? "▲ " : "▼ "));
    }
    change.append(
      `${fill(t.change_is, { diff: fmt.difference(c.difference), wave: c.vs_wave })} (${c.significant ? t.significant : t.not_significant})`,
    );
  } else {
    change.append(changeText(point, fmt, t) || t.none);
  }
  row.append(change);
  return row;
}

function breakNotes(points, t) {
  const notes = new Map();
  for (const p of points) {
    if (p.series_break && p.break_note && !notes.has(p.wave)) notes.set(p.wave, p.break_note);
    else if (p.series_break && !notes.has(p.wave)) notes.set(p.wave, "");
  }
  return [...notes].map(([wave, note]) => `${fill(t.break_note, { wave })} ${note}`.trim());
}

function showNote(target, notes) {
  target.hidden = notes.length === 0;
  target.replaceChildren(...notes.map((n) => element("p", {}, n)));
}

function render(indicator, total, breakdown, organisations) {
  const t = texts(state.lang);
  const fmt = new Format(state.lang, indicator.kind);
  const per = perText(t);
  const grouping = groupsOf(breakdown, organisations);
  if (state.group && !grouping.groups.some((g) => g.code === state.group)) state.group = "";
  renderControls();
  renderGroupPicker(grouping);

  $("error").hidden = true;
  $("empty").hidden = true;
  $("indicator-label").textContent = total.label || indicator.label;
  $("indicator-description").textContent = total.description || indicator.description;
  $("json-link").href = `${API}${trendPath(indicator.id, state.by)}`;

  if (total.points.length === 0) {
    $("results").hidden = true;
    showEmpty(t.no_waves);
    return;
  }
  $("results").hidden = false;
  showPanels(false);

  // The trend: all staff, or the chosen group.
  const chosen = grouping.groups.find((g) => g.code === state.group);
  const groupName = chosen ? (chosen.orgLabel ? `${chosen.label} (${chosen.orgLabel})` : chosen.label) : t.all_staff;
  const series = chosen ? breakdown.points.filter((p) => p.group === chosen.code) : total.points;
  $("trend-heading").textContent = `${t.trend_heading}: ${groupName}`;
  chart($("trend-chart"), (width) =>
    drawTrend($("trend-chart"), series, {
      fmt,
      t,
      width,
      group: groupName,
      name: fill(t.trend_caption, { label: total.label, group: groupName }),
      hintId: "chart-hint",
    }),
  );
  const trendEntries = [
    ["line", t.legend_line],
    ["band", t.legend_band],
    ["sig", t.legend_sig],
  ];
  if (series.some((p) => p.series_break)) trendEntries.push(["break", t.legend_break]);
  trendEntries.push(...hiddenLegend(series, t));
  legend($("trend-legend"), trendEntries);
  showNote($("trend-note"), breakNotes(series, t));
  const trendTable = $("trend-table");
  const trendBody = element("tbody");
  for (const p of series) trendBody.append(figureRow(t, fmt, p.wave, p));
  trendTable.replaceChildren(
    element("caption", { id: "trend-caption" }, fill(t.trend_caption, { label: total.label, group: groupName })),
    headerRow(t, t.col_wave, indicator.kind),
    trendBody,
  );

  // One wave per group (the latest unless another is chosen), with all staff on top.
  const waves = [...new Set(breakdown.points.map((p) => p.wave))];
  if (!waves.includes(state.wave)) state.wave = "";
  const latest = state.wave || (waves.length ? waves[waves.length - 1] : total.points[total.points.length - 1].wave);
  const byCode = new Map(breakdown.points.filter((p) => p.wave === latest).map((p) => [p.group, p]));
  const overall = total.points.find((p) => p.wave === latest);
  const rows = [];
  if (overall) rows.push({ type: "total", label: t.total_row, point: overall });
  let section = null;
  for (const g of ordered(grouping, byCode)) {
    const point = byCode.get(g.code);
    if (!point) continue;
    if (grouping.sectioned && g.org !== section) {
      section = g.org;
      rows.push({ type: "section", label: g.orgLabel });
    }
    rows.push({ type: "group", label: g.label, point });
  }
  $("latest-heading").textContent = fill(t.latest_heading, { per, wave: latest });
  chart($("latest-chart"), (width) =>
    drawBars($("latest-chart"), rows, {
      fmt,
      t,
      width,
      name: fill(t.latest_caption, { label: total.label, per, wave: latest }),
      hintId: "chart-hint",
    }),
  );
  const latestPoints = rows.filter((r) => r.point).map((r) => r.point);
  const latestEntries = [
    ["bar", t.legend_bar],
    ["whisker", t.legend_whisker],
    ["sig", t.legend_sig],
  ];
  latestEntries.push(...hiddenLegend(latestPoints, t));
  legend($("latest-legend"), latestEntries);
  showNote($("latest-note"), breakNotes(latestPoints, t));

  const latestTable = $("latest-table");
  const bodies = [];
  let body = element("tbody");
  for (const r of rows) {
    if (r.type === "section") {
      if (body.children.length) bodies.push(body);
      body = element("tbody");
      const head = element("tr");
      head.append(cell("th", r.label, { scope: "rowgroup", colspan: 6, class: "section" }));
      body.append(head);
    } else {
      body.append(figureRow(t, fmt, r.label, r.point, r.type === "total" ? "total" : null));
    }
  }
  if (body.children.length) bodies.push(body);
  latestTable.replaceChildren(
    element("caption", { id: "latest-caption" }, fill(t.latest_caption, { label: total.label, per, wave: latest })),
    headerRow(t, t.col_group, indicator.kind),
    ...bodies,
  );
  renderAround(indicator, total, { group: groupName, points: series }, { wave: latest, rows: rows.filter((r) => r.point) }, waves);
}

/** A family's panel, or the panels of one indicator (trend and breakdown). */
function showPanels(family) {
  $("family-panel").hidden = !family;
  $("trend-panel").hidden = family;
  $("latest-panel").hidden = family;
}

/**
 * A family: its categories stacked per wave, for all staff or the chosen group, with
 * every category's estimate and interval in the table and the tooltips.
 * members: the family's indicators; totals, breakdowns: their trends by none and by the
 * chosen breakdown (in the same order).
 */
function renderFamily(family, totals, breakdowns, organisations) {
  const t = texts(state.lang);
  const fmt = new Format(state.lang, "proportion");
  const grouping = groupsOf(breakdowns[0], organisations);
  if (state.group && !grouping.groups.some((g) => g.code === state.group)) state.group = "";
  renderControls();
  renderGroupPicker(grouping);

  $("error").hidden = true;
  $("empty").hidden = true;
  $("indicator-label").textContent = family.label;
  $("indicator-description").textContent = family.description;
  $("json-link").href = `${API}${trendPath(family.members[0].id, state.by)}`;
  const waves = [...new Set(totals.flatMap((trend) => trend.points.map((p) => p.wave)))];
  if (waves.length === 0) {
    $("results").hidden = true;
    showEmpty(t.no_waves);
    return;
  }
  $("results").hidden = false;
  showPanels(true);
  $("updated").hidden = true;

  const chosen = grouping.groups.find((g) => g.code === state.group);
  const groupName = chosen ? (chosen.orgLabel ? `${chosen.label} (${chosen.orgLabel})` : chosen.label) : t.all_staff;
  const series = (chosen ? breakdowns : totals).map((trend) =>
    trend.points.filter((p) => !chosen || p.group === chosen.code),
  );
  const columns = waves.map((wave) => ({ wave, points: series.map((points) => points.find((p) => p.wave === wave)) }));
  const categories = family.members.map((m) => m.category_label || m.category);
  const caption = fill(t.trend_caption, { label: family.label, group: groupName });
  $("family-heading").textContent = fill(t.family_heading, { group: groupName });
  chart($("family-chart"), (width) =>
    drawStacked($("family-chart"), columns, categories, { fmt, t, width, group: groupName, name: caption, hintId: "chart-hint" }),
  );
  const entries = categories.map((c, j) => [`segment-${j}`, c]);
  entries.push(...hiddenLegend(series.flat(), t));
  legend($("family-legend"), entries);
  showNote($("family-note"), breakNotes(series.flat(), t));

  const head = element("tr");
  head.append(cell("th", t.col_wave, { scope: "col" }));
  for (const c of categories) head.append(cell("th", c, { scope: "col", class: "num" }));
  head.append(cell("th", t.col_n, { scope: "col", class: "num" }));
  const body = element("tbody");
  for (const column of columns) {
    const row = element("tr", { "data-wave": column.wave });
    row.append(cell("th", column.wave, { scope: "row" }));
    for (const p of column.points) {
      const shown = p && !p.suppressed && p.estimate !== null;
      const text = shown
        ? fill(t.family_cell, { value: fmt.value(p.estimate), interval: fmt.interval(p.ci_low, p.ci_high) })
        : p ? hiddenText(p, t) : t.none;
      row.append(cell("td", text, { class: shown ? "num estimate" : "num suppressed" }));
    }
    const counted = column.points.find((p) => p && !p.suppressed);
    row.append(cell("td", fmt.count(counted ? counted.n : null), { class: "num" }));
    body.append(row);
  }
  $("family-table").replaceChildren(element("caption", { id: "family-caption" }, caption), element("thead", {}, head), body);

  while (downloads.length) URL.revokeObjectURL(downloads.pop());
  const table = familyTable({ t, columns, categories, group: groupName });
  const name = `${t.file_name}-${family.id}-${state.group || "all"}`;
  offer($("csv-link"), csv(table, state.lang), `${name}.csv`);
  offer($("xlsx-link"), xlsx(table, family.id), `${name}.xlsx`);
}

// --- the breakdown's wave and order, last updated, downloads ----------------------------------

/** The groups in the chosen order, within their organisation: by name (as grouped), or
 * by value, highest first, with figures not shown last. */
function ordered(grouping, byCode) {
  if (state.sort !== "value") return grouping.groups;
  const collator = new Intl.Collator(texts(state.lang).locale);
  const value = (g) => {
    const p = byCode.get(g.code);
    return p && !p.suppressed && p.estimate !== null ? p.estimate : -Infinity;
  };
  return [...grouping.groups].sort(
    (a, b) =>
      (grouping.sectioned ? collator.compare(a.orgLabel, b.orgLabel) : 0) || value(b) - value(a) || collator.compare(a.label, b.label),
  );
}

function longDate(iso) {
  const format = new Intl.DateTimeFormat(texts(state.lang).locale, { dateStyle: "long", timeZone: "UTC" });
  return format.format(new Date(`${iso}T00:00:00Z`));
}

const downloads = [];

function offer(link, blob, name) {
  const url = URL.createObjectURL(blob);
  downloads.push(url);
  link.href = url;
  link.download = name;
}

/** What surrounds the charts: the wave and order pickers of the breakdown, the date of the
 * figures, and the figures shown as files. */
function renderAround(indicator, total, trend, breakdown, waves) {
  const t = texts(state.lang);
  const picker = $("wave");
  picker.replaceChildren(...[...waves].reverse().map((w) => element("option", { value: w }, w)));
  picker.value = breakdown.wave;
  $("sort").value = state.sort;

  // The newest wave among all staff's figures: its closing date is the figures' date.
  const newest = total.points[total.points.length - 1];
  $("updated").hidden = !newest.wave_closes_at;
  if (newest.wave_closes_at) {
    $("updated").textContent = fill(t.last_updated, { date: longDate(newest.wave_closes_at), wave: newest.wave });
  }

  while (downloads.length) URL.revokeObjectURL(downloads.pop());
  const table = figureTable({ t, kind: indicator.kind, trend, breakdown });
  const name = `${t.file_name}-${indicator.id}-${state.by}-${breakdown.wave}`;
  offer($("csv-link"), csv(table, state.lang), `${name}.csv`);
  offer($("xlsx-link"), xlsx(table, indicator.id), `${name}.xlsx`);
}

async function refresh(announce = false) {
  const mine = ++generation;
  const t = texts(state.lang);
  $("results").setAttribute("aria-busy", "true");
  setStatus(t.loading);
  try {
    const [indicators, breakdowns] = await Promise.all([
      fetchJson(`/public/indicators?lang=${state.lang}`),
      fetchJson(`/public/breakdowns?lang=${state.lang}`),
    ]);
    if (mine !== generation) return;
    state.indicators = indicators;
    state.breakdowns = breakdowns.filter((b) => b.id !== "none");
    if (!breakdownOf(state.by)) state.by = "organisation";
    if (indicators.length === 0) {
      $("controls").hidden = true;
      showEmpty(t.no_indicators);
      return;
    }
    const families = familiesOf(indicators);
    const family = families.get(state.indicator);
    if (!family && !indicators.some((i) => i.id === state.indicator && !families.has(i.family))) {
      state.indicator = indicators[0].family ?? indicators[0].id;
    }
    const label = (families.get(state.indicator) ?? indicators.find((i) => i.id === state.indicator)).label;
    if (families.has(state.indicator)) {
      const members = families.get(state.indicator).members;
      const [totals, split, organisations] = await Promise.all([
        Promise.all(members.map((m) => fetchJson(trendPath(m.id, "none")))),
        Promise.all(members.map((m) => fetchJson(trendPath(m.id, state.by)))),
        fetchJson(trendPath(members[0].id, "organisation")),
      ]);
      if (mine !== generation) return;
      renderFamily(families.get(state.indicator), totals, split, organisations);
    } else {
      const indicator = indicators.find((i) => i.id === state.indicator);
      const [total, breakdown, organisations] = await Promise.all([
        fetchJson(trendPath(indicator.id, "none")),
        fetchJson(trendPath(indicator.id, state.by)),
        fetchJson(trendPath(indicator.id, "organisation")),
      ]);
      if (mine !== generation) return;
      render(indicator, total, breakdown, organisations);
    }
    remember();
    setStatus(announce ? fill(t.updated, { label, per: perText(t) }) : "", true);
  } catch (error) {
    if (mine === generation) showError(error);
  } finally {
    if (mine === generation) $("results").removeAttribute("aria-busy");
  }
}

function start() {
  applyTexts();
  for (const id of ["trend-chart", "latest-chart"]) observer.observe($(id));
  $("controls").addEventListener("submit", (event) => event.preventDefault());
  $("indicator").addEventListener("change", (event) => {
    state.indicator = event.target.value;
    refresh(true);
  });
  $("breakdown").addEventListener("change", (event) => {
    state.by = event.target.value;
    state.group = "";
    refresh(true);
  });
  $("group").addEventListener("change", (event) => {
    state.group = event.target.value;
    refresh(true);
  });
  $("latest-controls").addEventListener("submit", (event) => event.preventDefault());
  $("wave").addEventListener("change", (event) => {
    const waves = [...event.target.options].map((o) => o.value);
    state.wave = event.target.value === waves[0] ? "" : event.target.value; // first: the latest
    refresh(true);
  });
  $("sort").addEventListener("change", (event) => {
    state.sort = event.target.value;
    refresh(true);
  });
  $("language-switch").addEventListener("click", (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    state.lang = otherLanguage(state.lang);
    applyTexts();
    refresh(false);
  });
  $("retry").addEventListener("click", () => {
    $("error").hidden = true;
    refresh(true);
  });
  refresh(false);
}

start();
