var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};

// ../../work/main/node_modules/ansi-regex/index.js
function ansiRegex({ onlyFirst = false } = {}) {
  return new RegExp(pattern, onlyFirst ? void 0 : "g");
}
var ST, stringControls, osc, controlString, linuxPalette, csi, escape, pattern;
var init_ansi_regex = __esm({
  "../../work/main/node_modules/ansi-regex/index.js"() {
    ST = String.raw`(?:\u001B\u005C|\u009C)`;
    stringControls = String.raw`\u0018\u001A\u001B\u0080-\u009F`;
    osc = String.raw`(?:\u001B\]|\u009D)[^\u0007${stringControls}]*(?:\u0007|${ST})`;
    controlString = String.raw`(?:\u001B[PX^_k]|[\u0090\u0098\u009E\u009F])[^${stringControls}]*${ST}`;
    linuxPalette = String.raw`\u001B\](?:P[\dA-Fa-f]{7}|R)(?:\u0007|${ST})?`;
    csi = String.raw`(?:\u001B\[|\u009B)[\u0030-\u003F]*[\u0020-\u002F]*[\u0040-\u007E]`;
    escape = String.raw`\u001B(?:[\u0020-\u002F]+[\u0030-\u007E]|[\dA-PR-TZcf-oq-uy=><~|}])`;
    pattern = `${linuxPalette}|${osc}|${controlString}|${csi}|${escape}`;
  }
});

// ../../work/main/node_modules/strip-ansi/index.js
function stripAnsi(string) {
  if (typeof string !== "string") {
    throw new TypeError(`Expected a \`string\`, got \`${typeof string}\``);
  }
  if (!string.includes("\x1B") && !string.includes("\x9B")) {
    return string;
  }
  return string.replace(regex, "");
}
var regex;
var init_strip_ansi = __esm({
  "../../work/main/node_modules/strip-ansi/index.js"() {
    init_ansi_regex();
    regex = ansiRegex();
  }
});

// ../../work/main/src/util/sanitize.ts
var CONTROLS, CONTROL, sanitize;
var init_sanitize = __esm({
  "../../work/main/src/util/sanitize.ts"() {
    "use strict";
    init_strip_ansi();
    CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
    CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
    sanitize = (text) => CONTROL.test(text) ? stripAnsi(text).replace(CONTROLS, "") : text;
  }
});

// ../../work/main/src/reports/flat-files.ts
function flatTable(report) {
  switch (report.report) {
    case "population_stats":
      return table(report.report, [{ ...report.parameters, ...report.result }], [
        ["from_year", "int32", (row) => row.fromYear],
        ["to_year", "int32", (row) => row.toYear],
        ["count", "int32", (row) => row.count],
        ["mean", "double", (row) => row.mean],
        ["stddev", "double", (row) => row.stddev],
        ["stddev_population", "double", (row) => row.stddevPopulation],
        // Space-separated, as `report --format csv` gives them: one cell in every reader.
        ["years", "string", (row) => row.years.join(" ")],
        ["missing_years", "string", (row) => row.missingYears.join(" ")]
      ]);
    case "best_year_by_series":
      return table(report.report, report.rows, [
        SERIES_ID,
        YEAR,
        VALUE,
        ["basis", "string", (row) => row.basis],
        // Always present (null without the lookup files): the schema does not depend on the raw store.
        ["title", "string", (row) => row.title ?? null]
      ]);
    case "series_population":
      return table(report.report, report.rows, [SERIES_ID, YEAR, ["period", "string", (row) => row.period], VALUE, ["population", "int64", (row) => row.population]]);
  }
}
async function flatCsv(table3) {
  const { default: Papa } = await import("papaparse");
  const data = Array.from(
    { length: table3.rows },
    (_, r) => table3.columns.map(({ values }) => {
      const value = values[r];
      return typeof value === "string" ? sanitize(value) : value;
    })
  );
  return `${Papa.unparse({ fields: table3.columns.map((c) => c.name), data }, { newline: "\n", escapeFormulae: true })}
`;
}
async function flatParquet(table3) {
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const schema = [
    { name: "root", num_children: table3.columns.length },
    ...table3.columns.map(({ name, type }) => ({ name, repetition_type: "OPTIONAL", ...SCHEMA[type] }))
  ];
  const buffer = parquetWriteBuffer({
    // INT64 columns take bigints (a population is a whole number; DECIMAL takes the JSON number).
    columnData: table3.columns.map(({ name, type, values }) => ({ name, data: type === "int64" ? values.map((v) => v === null ? v : BigInt(v)) : values })),
    schema,
    createdBy: "dataquest",
    kvMetadata: [{ key: "dataquest.report", value: table3.report }]
  });
  return new Uint8Array(buffer);
}
var VALUE_SCALE, table, SERIES_ID, YEAR, VALUE, SCHEMA;
var init_flat_files = __esm({
  "../../work/main/src/reports/flat-files.ts"() {
    "use strict";
    init_sanitize();
    VALUE_SCALE = 3;
    table = (report, rows, specs) => ({
      report,
      rows: rows.length,
      columns: specs.map(([name, type, value]) => ({ name, type, values: rows.map(value) }))
    });
    SERIES_ID = ["series_id", "string", (row) => row.series_id];
    YEAR = ["year", "int32", (row) => row.year];
    VALUE = ["value", "decimal", (row) => row.value];
    SCHEMA = {
      string: { type: "BYTE_ARRAY", converted_type: "UTF8" },
      int32: { type: "INT32" },
      int64: { type: "INT64" },
      double: { type: "DOUBLE" },
      decimal: { type: "INT64", converted_type: "DECIMAL", scale: VALUE_SCALE, precision: 18 }
    };
  }
});

// ../../work/main/src/reports/html.ts
function niceTicks(min, max, count = 5, { integer = false } = {}) {
  if (min === max) return niceTicks(min - (integer ? 1 : Math.abs(min) * 0.1 || 1), max + (integer ? 1 : Math.abs(max) * 0.1 || 1), count, { integer });
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  if (integer) step = Math.max(1, Math.round(step));
  const ticks = [];
  for (let tick = Math.floor(min / step) * step; tick <= max + step * 1e-9; tick += step) ticks.push(Number(tick.toPrecision(12)));
  if (ticks.at(-1) < max) ticks.push(Number((ticks.at(-1) + step).toPrecision(12)));
  return ticks;
}
function yearFrame(first, last) {
  const x = linear([first - 0.5, last + 0.5], [MARGIN.left, plotRight]);
  return { x, band: (plotRight - MARGIN.left) / (last - first + 1), years: [first, last] };
}
function xAxis({ x, years: [first, last] }, title) {
  const ticks = niceTicks(first, last, 10, { integer: true }).filter((year) => year >= first && year <= last);
  const labels = ticks.map((year) => `<text class="tick" x="${x(year)}" y="${plotBottom + 18}" text-anchor="middle">${year}</text>`);
  return [
    `<line class="axis" x1="${MARGIN.left}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}"/>`,
    ...labels,
    `<text class="axis-label" x="${(MARGIN.left + plotRight) / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeHtml(title)}</text>`
  ].join("");
}
function yAxis(side, ticks, y, format, title) {
  const at = side === "left" ? MARGIN.left : plotRight;
  const dx = side === "left" ? -8 : 8;
  const anchor = side === "left" ? "end" : "start";
  const parts = ticks.map(
    (tick) => (side === "left" ? `<line class="grid" x1="${MARGIN.left}" y1="${y(tick)}" x2="${plotRight}" y2="${y(tick)}"/>` : "") + `<text class="tick" x="${at + dx}" y="${y(tick) + 4}" text-anchor="${anchor}">${format(tick)}</text>`
  );
  const titleX = side === "left" ? 18 : WIDTH - 10;
  const middle = (MARGIN.top + plotBottom) / 2;
  return [
    ...parts,
    `<line class="axis" x1="${at}" y1="${MARGIN.top}" x2="${at}" y2="${plotBottom}"/>`,
    `<text class="axis-label" transform="translate(${titleX} ${middle}) rotate(-90)" text-anchor="middle">${escapeHtml(title)}</text>`
  ].join("");
}
function legend(entries) {
  let x = MARGIN.left;
  return entries.map(([swatch, text]) => {
    const item = `<rect class="swatch key-${swatch}" x="${x}" y="8" width="12" height="12"/><text class="legend" x="${x + 17}" y="18">${escapeHtml(text)}</text>`;
    x += 34 + text.length * 6.6;
    return item;
  }).join("");
}
function lines(points, className) {
  const runs = [[]];
  for (const point of points) {
    if (point) runs.at(-1).push(`${point.x},${point.y}`);
    else if (runs.at(-1).length > 0) runs.push([]);
  }
  return runs.filter((run) => run.length > 1).map((run) => `<polyline class="${className}" points="${run.join(" ")}"/>`).join("");
}
function seriesChart(report, stats) {
  const { rows } = report;
  const { seriesId, period } = report.parameters;
  const label = `${seriesId} ${period}`;
  if (rows.length === 0) return `<p class="empty">No ${escapeHtml(label)} rows: nothing to draw.</p>`;
  const frame = yearFrame(rows[0].year, rows.at(-1).year);
  const { x, band } = frame;
  const values = rows.map((row) => row.value);
  const valueTicks = niceTicks(Math.min(0, ...values), Math.max(0, ...values));
  const y = linear([valueTicks[0], valueTicks.at(-1)], [plotBottom, MARGIN.top]);
  const known = rows.flatMap((row) => row.population === null ? [] : [row.population]);
  const body = [
    legend([
      ["series", `${label} value`],
      ["population", "US population"],
      ["no-population", "no population for the year"],
      ...stats ? [["mean", `mean population ${stats.parameters.fromYear}\u2013${stats.parameters.toYear}`]] : []
    ]),
    ...rows.filter((row) => row.population === null).map(
      (row) => `<rect class="no-population" data-year="${row.year}" x="${(x(row.year) - band / 2).toFixed(1)}" y="${MARGIN.top}" width="${band.toFixed(1)}" height="${plotBottom - MARGIN.top}"><title>${row.year}: no population</title></rect>`
    ),
    yAxis("left", valueTicks, y, (tick) => decimal.format(tick), `${label} value`),
    xAxis(frame, "year")
  ];
  if (valueTicks[0] < 0) body.push(`<line class="zero" x1="${MARGIN.left}" y1="${y(0)}" x2="${plotRight}" y2="${y(0)}"/>`);
  if (known.length > 0) {
    const band2 = stats && stats.result.count > 0 ? [stats.result.mean - stats.result.stddev, stats.result.mean + stats.result.stddev] : [];
    const popTicks = niceTicks(Math.min(...known, ...band2), Math.max(...known, ...band2), 5);
    const p = linear([popTicks[0], popTicks.at(-1)], [plotBottom, MARGIN.top]);
    body.push(yAxis("right", popTicks, p, (tick) => compact.format(tick), "US population"));
    if (stats && stats.result.count > 0) {
      const from = x(Math.max(stats.parameters.fromYear, frame.years[0]) - 0.5);
      const to = x(Math.min(stats.parameters.toYear, frame.years[1]) + 0.5);
      if (from < to) {
        body.push(
          `<line class="mean" x1="${from}" y1="${p(stats.result.mean)}" x2="${to}" y2="${p(stats.result.mean)}"><title>mean ${whole.format(stats.result.mean)} (${stats.parameters.fromYear}\u2013${stats.parameters.toYear})</title></line>`
        );
      }
    }
    body.push(lines(rows.map((row) => row.population === null ? null : { x: x(row.year), y: p(row.population) }), "population-line"));
    body.push(
      ...rows.flatMap(
        (row) => row.population === null ? [] : [
          `<rect class="point population-point" data-year="${row.year}" x="${x(row.year) - 4}" y="${p(row.population) - 4}" width="8" height="8"><title>${row.year}: population ${whole.format(row.population)}</title></rect>`
        ]
      )
    );
  }
  body.push(lines(rows.map((row) => ({ x: x(row.year), y: y(row.value) })), "series-line"));
  body.push(
    ...rows.map(
      (row) => `<circle class="point series-point" data-year="${row.year}" cx="${x(row.year)}" cy="${y(row.value)}" r="4"><title>${row.year}: ${decimal.format(row.value)}</title></circle>`
    )
  );
  return svg(`${label} against the US population, by year`, body);
}
function bestYearChart(report) {
  const { rows } = report;
  if (rows.length === 0) return '<p class="empty">No series: nothing to draw.</p>';
  const counts = /* @__PURE__ */ new Map();
  let first = Infinity;
  let last = -Infinity;
  for (const row of rows) {
    const count = counts.get(row.year) ?? { quarterly: 0, annual: 0 };
    count[row.basis]++;
    counts.set(row.year, count);
    first = Math.min(first, row.year);
    last = Math.max(last, row.year);
  }
  const frame = yearFrame(first, last);
  const { x, band } = frame;
  const most = Math.max(...[...counts.values()].map((c) => c.quarterly + c.annual));
  const ticks = niceTicks(0, most, 5, { integer: true });
  const y = linear([0, ticks.at(-1)], [plotBottom, MARGIN.top]);
  const width = Math.max(1, band * 0.8);
  const bars = [...counts].sort(([a], [b]) => a - b).flatMap(([year, count]) => {
    const left = (x(year) - width / 2).toFixed(1);
    const title = `${year}: ${count.quarterly + count.annual} series (${count.quarterly} on the quarterly sum, ${count.annual} on the annual average)`;
    const bar = (basis, from, n) => n === 0 ? "" : `<rect class="bar ${basis}" data-year="${year}" x="${left}" y="${y(from + n)}" width="${width.toFixed(1)}" height="${(y(from) - y(from + n)).toFixed(1)}"><title>${title}</title></rect>`;
    return [bar("quarterly", 0, count.quarterly), bar("annual", count.quarterly, count.annual)];
  });
  return svg("Series by their best year", [
    legend([
      ["quarterly", "best year by the sum of Q01\u2013Q04"],
      ["annual", "by the Q05 annual average"]
    ]),
    yAxis("left", ticks, y, (tick) => whole.format(tick), "series"),
    xAxis(frame, "best year"),
    ...bars
  ]);
}
function table2(report, options) {
  const flat = flatTable(report);
  const shown = options.allRows ? flat.rows : Math.min(flat.rows, options.limit ?? PAGE_ROWS);
  const cell = (name, value) => {
    if (value === null) return '<td class="missing">\u2014</td>';
    if (typeof value === "string") return `<td>${escapeHtml(value)}</td>`;
    const text = name === "value" ? String(value) : name === "population" || name === "mean" || name.startsWith("stddev") ? whole.format(value) : String(value);
    return `<td class="number">${text}</td>`;
  };
  const head = flat.columns.map((c) => `<th${c.type === "string" ? "" : ' class="number"'}>${c.name}</th>`).join("");
  const body = Array.from({ length: shown }, (_, r) => `<tr>${flat.columns.map((c) => cell(c.name, c.values[r])).join("")}</tr>`);
  const more = flat.rows - shown;
  const note = more > 0 ? `<p class="note">The first ${whole.format(shown)} of ${whole.format(flat.rows)} rows; ${report.report}.csv and ${report.report}.parquet hold them all.</p>` : "";
  return `<table id="${report.report}-table"><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>${note}`;
}
function seriesSection(report, stats, options) {
  const { seriesId, period } = report.parameters;
  const known = report.rows.filter((row) => row.population !== null).length;
  return [
    `<section id="series_population"><h2>${escapeHtml(seriesId)} ${escapeHtml(period)} against the US population</h2>`,
    `<p class="headline">${report.rows.length} years, the population known for ${known}; shaded years have none.</p>`,
    seriesChart(report, stats),
    table2(report, options),
    inputs(report),
    "</section>"
  ].join("\n");
}
function bestYearSection(report, options) {
  const annual = report.rows.filter((row) => row.basis === "annual").length;
  return [
    `<section id="best_year_by_series"><h2>Best year of each series</h2>`,
    `<p class="headline">${whole.format(report.rows.length)} series: ${whole.format(report.rows.length - annual)} scored on the sum of Q01\u2013Q04, ${whole.format(annual)} on the Q05 annual average.</p>`,
    bestYearChart(report),
    table2(report, options),
    inputs(report),
    "</section>"
  ].join("\n");
}
function populationSection(report, options) {
  const { fromYear, toYear } = report.parameters;
  const { count, mean, stddev, missingYears } = report.result;
  const missing = missingYears.length > 0 ? ` No population for ${missingYears.join(", ")}.` : "";
  return [
    `<section id="population_stats"><h2>US population ${fromYear}\u2013${toYear}</h2>`,
    `<p class="headline">Mean ${whole.format(mean)}, standard deviation ${whole.format(stddev)} (sample, n\u22121) over ${count} years.${missing}</p>`,
    table2(report, options),
    inputs(report),
    "</section>"
  ].join("\n");
}
function renderHtml(reports2, options = {}) {
  const find = (name) => reports2.find((r) => r.report === name);
  const stats = find("population_stats");
  const series = find("series_population");
  const best2 = find("best_year_by_series");
  const sections = [
    series ? seriesSection(series, stats, options) : "",
    best2 ? bestYearSection(best2, options) : "",
    stats ? populationSection(stats, options) : ""
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dataquest reports</title>
<style>${STYLE}</style>
</head>
<body>
<h1>dataquest reports</h1>
<p class="inputs">Written by <code>dataquest transform</code>; the JSON, CSV and Parquet files beside this page hold every row.</p>
${sections.join("\n")}
</body>
</html>
`;
}
var PAGE_ROWS, ENTITIES, escapeHtml, whole, decimal, compact, linear, WIDTH, HEIGHT, MARGIN, plotBottom, plotRight, svg, inputs, STYLE;
var init_html = __esm({
  "../../work/main/src/reports/html.ts"() {
    "use strict";
    init_sanitize();
    init_flat_files();
    PAGE_ROWS = 1e3;
    ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
    escapeHtml = (text) => sanitize(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
    whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
    decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
    compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
    linear = ([d0, d1], [r0, r1]) => (value) => Number((r0 + (value - d0) / (d1 - d0) * (r1 - r0)).toFixed(1));
    WIDTH = 800;
    HEIGHT = 340;
    MARGIN = { top: 30, right: 92, bottom: 56, left: 76 };
    plotBottom = HEIGHT - MARGIN.bottom;
    plotRight = WIDTH - MARGIN.right;
    svg = (label, body) => `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">${body.join("")}</svg>`;
    inputs = (report) => `<p class="inputs">From ${report.inputs.map((input) => `<code>${escapeHtml(input.key)}</code> (MD5 ${escapeHtml(input.md5.slice(0, 8))}\u2026)`).join(", ")}.</p>`;
    STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:860px;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2.2rem 0 .25rem}
.headline{margin:.2rem 0 .6rem}.inputs,.note{color:#57606a;font-size:.85rem}
svg.chart{width:100%;height:auto;display:block;margin:.5rem 0 1rem}
.axis{stroke:#57606a}.grid{stroke:#e6e8eb}.zero{stroke:#8c959f;stroke-dasharray:2 3}
.tick,.legend{font-size:12px;fill:#424a53}.axis-label{font-size:13px;fill:#1b1f24;font-weight:600}
.series-line{fill:none;stroke:#0969da;stroke-width:2}.series-point,.key-series{fill:#0969da}
.population-line{fill:none;stroke:#bc4c00;stroke-width:2}.population-point,.key-population{fill:#bc4c00}
.no-population,.key-no-population{fill:#eaeef2}.mean{stroke:#bc4c00;stroke-dasharray:6 4;stroke-width:1.5}.key-mean{fill:none;stroke:#bc4c00;stroke-dasharray:3 2}
.bar.quarterly,.key-quarterly{fill:#0969da}.bar.annual,.key-annual{fill:#8c959f}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}th,td{padding:.25rem .5rem;border-bottom:1px solid #e6e8eb;text-align:left}
th{background:#f6f8fa}.number{text-align:right;font-variant-numeric:tabular-nums}.missing{color:#8c959f;text-align:right}
`;
  }
});

// rep2.ts
init_flat_files();
init_html();
import { readFileSync } from "node:fs";

// ../../work/main/src/stores/md5.ts
import { createHash } from "node:crypto";
function md5Hex(data) {
  return createHash("md5").update(data).digest("hex");
}

// ../../work/main/src/reports/types.ts
var REPORT_CHOICES = {
  population: "population_stats",
  "best-year": "best_year_by_series",
  series: "series_population"
};
var REPORT_NAMES = Object.values(REPORT_CHOICES);

// ../../work/main/src/reports/store.ts
var serializeReport = (report) => `${JSON.stringify(report, null, 2)}
`;
var MAX_REPORT_BYTES = 64 * 1024 * 1024;

// rep2.ts
var reports = JSON.parse(readFileSync("/tmp/prof/reports.json", "utf8"));
var best = reports[1];
var only = process.env.ONLY;
for (let r = 0; r < Number(process.env.RUNS ?? 3); r++) {
  const times = [];
  const time = async (name, f) => {
    if (only && only !== name) return;
    const t = performance.now();
    const out = await f();
    times.push(`${name} ${(performance.now() - t).toFixed(0)}`);
    return out;
  };
  const table3 = await time("table", () => flatTable(best));
  await time("csv", () => flatCsv(table3 ?? flatTable(best)));
  await time("parquet", () => flatParquet(table3 ?? flatTable(best)));
  await time("html", () => renderHtml(reports));
  const json = await time("json", () => serializeReport(best));
  await time("md5", () => md5Hex(json ?? serializeReport(best)));
  console.log(times.join("  "));
}
