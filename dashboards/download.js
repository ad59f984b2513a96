// The figures shown, as files to download: one table (the trend shown and the breakdown
// shown), written as CSV (for Dutch: semicolons and decimal commas, with a byte order
// mark, as Dutch Excel opens it) and as .xlsx. The .xlsx is written here, by a small
// writer of our own (an uncompressed ZIP of the five XML parts a workbook needs), so the
// dashboard loads nothing from elsewhere.

import { hiddenText } from "./charts.js";

const PERCENT = (v) => (v === null || v === undefined ? null : Number((v * 100).toFixed(10)));
const PLAIN = (v) => (v === null || v === undefined ? null : v);

function header(t, kind) {
  return [
    t.col_part, t.col_wave, t.col_group, t.col_code, t[`kind_${kind}`],
    t.col_low, t.col_high, t.col_n, t.col_rate_percent, t.col_suppressed,
    t.col_vs_wave, t.col_difference, t.col_significant, t.col_break, t.col_reason,
  ];
}

/** One figure's row: `part` says which chart (or category) it belongs to. */
function figureRow(t, kind, part, heading, p) {
  const unit = kind === "mean" ? PLAIN : PERCENT;
  const hidden = p.suppressed || p.estimate === null;
  const c = p.change;
  return [
    part, p.wave, heading, p.group ?? "",
    hidden ? null : unit(p.estimate), hidden ? null : unit(p.ci_low), hidden ? null : unit(p.ci_high),
    hidden ? null : p.n, hidden ? null : PERCENT(p.response_rate), hidden ? t.yes : t.no,
    c ? c.vs_wave : "", c ? unit(c.difference) : null, c ? (c.significant ? t.yes : t.no) : "",
    p.series_break ? t.yes : t.no, hidden ? hiddenText(p, t) : "",
  ];
}

/** The table: a header row and one row per figure shown. Proportions are percentages. */
export function figureTable({ t, kind, trend, breakdown }) {
  return [
    header(t, kind),
    ...trend.points.map((p) => figureRow(t, kind, t.part_trend, trend.group, p)),
    ...breakdown.rows.map((r) => figureRow(t, kind, t.part_breakdown, r.label, r.point)),
  ];
}

/** A family's table: per wave, one row per category (named in the first column). */
export function familyTable({ t, columns, categories, group }) {
  return [
    header(t, "proportion"),
    ...columns.flatMap((column) =>
      column.points.flatMap((p, j) => (p ? [figureRow(t, "proportion", categories[j], group, p)] : [])),
    ),
  ];
}

/** CSV as the language's spreadsheet opens it. */
export function csv(table, lang) {
  const separator = lang === "nl" ? ";" : ",";
  const cell = (value) => {
    if (value === null || value === undefined) return "";
    let text = typeof value === "number" ? String(value) : value;
    if (typeof value === "number" && lang === "nl") text = text.replace(".", ",");
    return /[";,\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = table.map((row) => row.map(cell).join(separator));
  return new Blob([`\ufeff${lines.join("\r\n")}\r\n`], { type: "text/csv;charset=utf-8" });
}

// --- .xlsx ------------------------------------------------------------------------------

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function column(k) {
  let name = "";
  for (let n = k + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function sheet(table) {
  const rows = table.map((values, r) => {
    const cells = values.map((v, c) => {
      const ref = `${column(c)}${r + 1}`;
      if (v === null || v === undefined || v === "") return "";
      if (typeof v === "number") return `<c r="${ref}"><v>${v}</v></c>`;
      return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escape(v)}</t></is></c>`;
    });
    return `<row r="${r + 1}">${cells.join("")}</row>`;
  });
  return (
    `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
    `<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" state="frozen"/></sheetView></sheetViews>` +
    `<sheetData>${rows.join("")}</sheetData></worksheet>`
  );
}

function parts(table, name) {
  const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  return {
    "[Content_Types].xml":
      `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
      "</Types>",
    "_rels/.rels":
      `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      `<Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    "xl/workbook.xml":
      `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${rel}">` +
      `<sheets><sheet name="${escape(name.slice(0, 31))}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    "xl/_rels/workbook.xml.rels":
      `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      `<Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    "xl/worksheets/sheet1.xml": sheet(table),
  };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A ZIP of the files as they are (method 0, "stored"), dated 1 January 1980. */
function zip(files) {
  const encoder = new TextEncoder();
  const chunks = [];
  const directory = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const path = encoder.encode(name);
    const data = encoder.encode(text);
    const crc = crc32(data);
    const fields = (head) => {
      const view = new DataView(head.buffer);
      return (at, value, size) => (size === 2 ? view.setUint16(at, value, true) : view.setUint32(at, value, true));
    };
    const local = new Uint8Array(30 + path.length);
    const l = fields(local);
    [[0, 0x04034b50, 4], [4, 20, 2], [6, 0x0800, 2], [8, 0, 2], [10, 0, 2], [12, 33, 2],
      [14, crc, 4], [18, data.length, 4], [22, data.length, 4], [26, path.length, 2], [28, 0, 2]]
      .forEach(([at, value, size]) => l(at, value, size));
    local.set(path, 30);
    const central = new Uint8Array(46 + path.length);
    const c = fields(central);
    [[0, 0x02014b50, 4], [4, 20, 2], [6, 20, 2], [8, 0x0800, 2], [10, 0, 2], [12, 0, 2], [14, 33, 2],
      [16, crc, 4], [20, data.length, 4], [24, data.length, 4], [28, path.length, 2], [30, 0, 2],
      [32, 0, 2], [34, 0, 2], [36, 0, 2], [38, 0, 4], [42, offset, 4]]
      .forEach(([at, value, size]) => c(at, value, size));
    central.set(path, 46);
    chunks.push(local, data);
    directory.push(central);
    offset += local.length + data.length;
  }
  const size = directory.reduce((sum, d) => sum + d.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, directory.length, true);
  e.setUint16(10, directory.length, true);
  e.setUint32(12, size, true);
  e.setUint32(16, offset, true);
  return [...chunks, ...directory, end];
}

/** The table as a workbook of one sheet. */
export function xlsx(table, sheetName) {
  return new Blob(zip(parts(table, sheetName)), {
    type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  });
}
