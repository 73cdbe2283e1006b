import {formatCompact, formatNumber} from '../util/number-format.js'
import {sanitize} from '../util/sanitize.js'
import {flatTable} from './flat-files.js'
import {limitReport} from './limit.js'
import type {BestYearReport, PopulationStatsReport, Report, SeriesPopulationReport} from './types.js'

/**
 * The reports as one self-contained HTML page: inline SVG charts drawn here (no script, no library,
 * no font or image to fetch; the page's CSP forbids any request), each chart above its table.
 */

/** Rows of a table on the page unless `limit` says otherwise: the CSV and Parquet files hold them all. */
export const PAGE_ROWS = 1000

export interface PageOptions {
  /** At most this many rows per table (undefined: PAGE_ROWS). */
  limit?: number
  /** Show every row (`--limit 0`). */
  allRows?: boolean
}

const ENTITIES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}
/** Text from the data, safe inside an element or a quoted attribute. */
export const escapeHtml = (text: string): string => sanitize(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!)

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10ⁿ). */
export function niceTicks(min: number, max: number, count = 5, {integer = false} = {}): number[] {
  if (min === max) return niceTicks(min - (integer ? 1 : Math.abs(min) * 0.1 || 1), max + (integer ? 1 : Math.abs(max) * 0.1 || 1), count, {integer})
  const rough = (max - min) / count
  const power = 10 ** Math.floor(Math.log10(rough))
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!
  if (integer) step = Math.max(1, Math.round(step))
  const ticks: number[] = []
  for (let tick = Math.floor(min / step) * step; tick <= max + step * 1e-9; tick += step) ticks.push(Number(tick.toPrecision(12)))
  if (ticks.at(-1)! < max) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)))
  return ticks
}

/** A linear map from a domain (never empty: niceTicks and yearFrame widen a single value) to a range of pixels. */
const linear =
  ([d0, d1]: [number, number], [r0, r1]: [number, number]) =>
  (value: number): number =>
    Number((r0 + ((value - d0) / (d1 - d0)) * (r1 - r0)).toFixed(1))

const WIDTH = 800
const HEIGHT = 340
const MARGIN = {top: 30, right: 92, bottom: 56, left: 76}
const plotBottom = HEIGHT - MARGIN.bottom
const plotRight = WIDTH - MARGIN.right

interface Frame {
  x: (year: number) => number
  /** Pixels per year. */
  band: number
  years: [number, number]
}

/** The x axis of a chart over whole years, each year a band with its label. */
function yearFrame(first: number, last: number): Frame {
  const x = linear([first - 0.5, last + 0.5], [MARGIN.left, plotRight])
  return {x, band: (plotRight - MARGIN.left) / (last - first + 1), years: [first, last]}
}

function xAxis({x, years: [first, last]}: Frame, title: string): string {
  const ticks = niceTicks(first, last, 10, {integer: true}).filter((year) => year >= first && year <= last)
  const labels = ticks.map((year) => `<text class="tick" x="${x(year)}" y="${plotBottom + 18}" text-anchor="middle">${year}</text>`)
  return [
    `<line class="axis" x1="${MARGIN.left}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}"/>`,
    ...labels,
    `<text class="axis-label" x="${(MARGIN.left + plotRight) / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeHtml(title)}</text>`,
  ].join('')
}

/** A vertical axis on the left or right, with its grid lines (left only) and title. */
function yAxis(side: 'left' | 'right', ticks: number[], y: (value: number) => number, format: (value: number) => string, title: string): string {
  const at = side === 'left' ? MARGIN.left : plotRight
  const dx = side === 'left' ? -8 : 8
  const anchor = side === 'left' ? 'end' : 'start'
  const parts = ticks.map(
    (tick) =>
      (side === 'left' ? `<line class="grid" x1="${MARGIN.left}" y1="${y(tick)}" x2="${plotRight}" y2="${y(tick)}"/>` : '') +
      `<text class="tick" x="${at + dx}" y="${y(tick) + 4}" text-anchor="${anchor}">${format(tick)}</text>`,
  )
  const titleX = side === 'left' ? 18 : WIDTH - 10
  const middle = (MARGIN.top + plotBottom) / 2
  return [
    ...parts,
    `<line class="axis" x1="${at}" y1="${MARGIN.top}" x2="${at}" y2="${plotBottom}"/>`,
    `<text class="axis-label" transform="translate(${titleX} ${middle}) rotate(-90)" text-anchor="middle">${escapeHtml(title)}</text>`,
  ].join('')
}

const svg = (label: string, body: string[]): string =>
  `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">${body.join('')}</svg>`

/** Legend entries across the top: [css class of the swatch, text]. */
function legend(entries: [string, string][]): string {
  let x = MARGIN.left
  return entries
    .map(([swatch, text]) => {
      const item = `<rect class="swatch key-${swatch}" x="${x}" y="8" width="12" height="12"/><text class="legend" x="${x + 17}" y="18">${escapeHtml(text)}</text>`
      x += 34 + text.length * 6.6
      return item
    })
    .join('')
}

/** Connected runs of points: a gap (null) ends a line. */
function lines(points: ({x: number; y: number} | null)[], className: string): string {
  const runs: string[][] = [[]]
  for (const point of points) {
    if (point) runs.at(-1)!.push(`${point.x},${point.y}`)
    else if (runs.at(-1)!.length > 0) runs.push([])
  }
  return runs
    .filter((run) => run.length > 1)
    .map((run) => `<polyline class="${className}" points="${run.join(' ')}"/>`)
    .join('')
}

/** The series (left axis) against the population (right axis) by year; years without a population shaded. */
function seriesChart(report: SeriesPopulationReport, stats: PopulationStatsReport | undefined): string {
  const {rows} = report
  const {seriesId, period} = report.parameters
  const label = `${seriesId} ${period}`
  if (rows.length === 0) return `<p class="empty">No ${escapeHtml(label)} rows: nothing to draw.</p>`
  const frame = yearFrame(rows[0]!.year, rows.at(-1)!.year)
  const {x, band} = frame
  const values = rows.map((row) => row.value)
  const valueTicks = niceTicks(Math.min(0, ...values), Math.max(0, ...values))
  const y = linear([valueTicks[0]!, valueTicks.at(-1)!], [plotBottom, MARGIN.top])
  const known = rows.flatMap((row) => (row.population === null ? [] : [row.population]))
  const body: string[] = [
    legend([
      ['series', `${label} value`],
      ['population', 'US population'],
      ['no-population', 'no population for the year'],
      ...(stats ? ([['mean', `mean population ${stats.parameters.fromYear}–${stats.parameters.toYear}`]] as [string, string][]) : []),
    ]),
    ...rows
      .filter((row) => row.population === null)
      .map(
        (row) =>
          `<rect class="no-population" data-year="${row.year}" x="${(x(row.year) - band / 2).toFixed(1)}" y="${MARGIN.top}" width="${band.toFixed(1)}" height="${plotBottom - MARGIN.top}"><title>${row.year}: no population</title></rect>`,
      ),
    yAxis('left', valueTicks, y, (tick) => formatNumber(tick, 3), `${label} value`),
    xAxis(frame, 'year'),
  ]
  if (valueTicks[0]! < 0) body.push(`<line class="zero" x1="${MARGIN.left}" y1="${y(0)}" x2="${plotRight}" y2="${y(0)}"/>`)
  if (known.length > 0) {
    const band = stats && stats.result.count > 0 ? [stats.result.mean - stats.result.stddev, stats.result.mean + stats.result.stddev] : []
    const popTicks = niceTicks(Math.min(...known, ...band), Math.max(...known, ...band), 5)
    const p = linear([popTicks[0]!, popTicks.at(-1)!], [plotBottom, MARGIN.top])
    body.push(yAxis('right', popTicks, p, (tick) => formatCompact(tick), 'US population'))
    if (stats && stats.result.count > 0) {
      const from = x(Math.max(stats.parameters.fromYear, frame.years[0]) - 0.5)
      const to = x(Math.min(stats.parameters.toYear, frame.years[1]) + 0.5)
      if (from < to) {
        body.push(
          `<line class="mean" x1="${from}" y1="${p(stats.result.mean)}" x2="${to}" y2="${p(stats.result.mean)}"><title>mean ${formatNumber(stats.result.mean)} (${stats.parameters.fromYear}–${stats.parameters.toYear})</title></line>`,
        )
      }
    }
    body.push(lines(rows.map((row) => (row.population === null ? null : {x: x(row.year), y: p(row.population)})), 'population-line'))
    body.push(
      ...rows.flatMap((row) =>
        row.population === null
          ? []
          : [
              `<rect class="point population-point" data-year="${row.year}" x="${x(row.year) - 4}" y="${p(row.population) - 4}" width="8" height="8"><title>${row.year}: population ${formatNumber(row.population)}</title></rect>`,
            ],
      ),
    )
  }
  body.push(lines(rows.map((row) => ({x: x(row.year), y: y(row.value)})), 'series-line'))
  body.push(
    ...rows.map(
      (row) =>
        `<circle class="point series-point" data-year="${row.year}" cx="${x(row.year)}" cy="${y(row.value)}" r="4"><title>${row.year}: ${formatNumber(row.value, 3)}</title></circle>`,
    ),
  )
  return svg(`${label} against the US population, by year`, body)
}

/** How many series have their best year in each year, split by basis. */
function bestYearChart(report: BestYearReport): string {
  const {rows} = report
  if (rows.length === 0) return '<p class="empty">No series: nothing to draw.</p>'
  const counts = new Map<number, {quarterly: number; annual: number}>()
  let first = Infinity
  let last = -Infinity
  for (const row of rows) {
    const count = counts.get(row.year) ?? {quarterly: 0, annual: 0}
    count[row.basis]++
    counts.set(row.year, count)
    first = Math.min(first, row.year)
    last = Math.max(last, row.year)
  }
  const frame = yearFrame(first, last)
  const {x, band} = frame
  const most = Math.max(...[...counts.values()].map((c) => c.quarterly + c.annual))
  const ticks = niceTicks(0, most, 5, {integer: true})
  const y = linear([0, ticks.at(-1)!], [plotBottom, MARGIN.top])
  const width = Math.max(1, band * 0.8)
  const bars = [...counts].sort(([a], [b]) => a - b).flatMap(([year, count]) => {
    const left = (x(year) - width / 2).toFixed(1)
    const title = `${year}: ${count.quarterly + count.annual} series (${count.quarterly} on the quarterly sum, ${count.annual} on the annual average)`
    const bar = (basis: 'quarterly' | 'annual', from: number, n: number): string =>
      n === 0 ? '' : `<rect class="bar ${basis}" data-year="${year}" x="${left}" y="${y(from + n)}" width="${width.toFixed(1)}" height="${(y(from) - y(from + n)).toFixed(1)}"><title>${title}</title></rect>`
    return [bar('quarterly', 0, count.quarterly), bar('annual', count.quarterly, count.annual)]
  })
  return svg('Series by their best year', [
    legend([
      ['quarterly', 'best year by the sum of Q01–Q04'],
      ['annual', 'by the Q05 annual average'],
    ]),
    yAxis('left', ticks, y, (tick) => formatNumber(tick), 'series'),
    xAxis(frame, 'best year'),
    ...bars,
  ])
}

/** A report's rows as an HTML table (the flat files' columns), at most `limit` rows with a note of the rest. */
function table(report: Report, options: PageOptions): string {
  const rows = 'rows' in report ? report.rows.length : 1
  const shown = options.allRows ? rows : Math.min(rows, options.limit ?? PAGE_ROWS)
  // The columns of the rows shown only: the table of 282,000 series shows 1,000.
  const flat = flatTable(limitReport(report, shown))
  const cell = (name: string, value: string | number | null): string => {
    if (value === null) return '<td class="missing">—</td>'
    if (typeof value === 'string') return `<td>${escapeHtml(value)}</td>`
    const text = name === 'value' ? String(value) : name === 'population' || name === 'mean' || name.startsWith('stddev') ? formatNumber(value) : String(value)
    return `<td class="number">${text}</td>`
  }
  const head = flat.columns.map((c) => `<th${c.type === 'string' ? '' : ' class="number"'}>${c.name}</th>`).join('')
  const body = Array.from({length: shown}, (_, r) => `<tr>${flat.columns.map((c) => cell(c.name, c.values[r]!)).join('')}</tr>`)
  const more = rows - shown
  const note = more > 0 ? `<p class="note">The first ${formatNumber(shown)} of ${formatNumber(rows)} rows; ${report.report}.csv and ${report.report}.parquet hold them all.</p>` : ''
  return `<table id="${report.report}-table"><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>${note}`
}

const inputs = (report: Report): string =>
  `<p class="inputs">From ${report.inputs.map((input) => `<code>${escapeHtml(input.key)}</code> (MD5 ${escapeHtml(input.md5.slice(0, 8))}…)`).join(', ')}.</p>`

const STYLE = `
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
`

function seriesSection(report: SeriesPopulationReport, stats: PopulationStatsReport | undefined, options: PageOptions): string {
  const {seriesId, period} = report.parameters
  const known = report.rows.filter((row) => row.population !== null).length
  return [
    `<section id="series_population"><h2>${escapeHtml(seriesId)} ${escapeHtml(period)} against the US population</h2>`,
    `<p class="headline">${report.rows.length} years, the population known for ${known}; shaded years have none.</p>`,
    seriesChart(report, stats),
    table(report, options),
    inputs(report),
    '</section>',
  ].join('\n')
}

function bestYearSection(report: BestYearReport, options: PageOptions): string {
  const annual = report.rows.filter((row) => row.basis === 'annual').length
  return [
    `<section id="best_year_by_series"><h2>Best year of each series</h2>`,
    `<p class="headline">${formatNumber(report.rows.length)} series: ${formatNumber(report.rows.length - annual)} scored on the sum of Q01–Q04, ${formatNumber(annual)} on the Q05 annual average.</p>`,
    bestYearChart(report),
    table(report, options),
    inputs(report),
    '</section>',
  ].join('\n')
}

function populationSection(report: PopulationStatsReport, options: PageOptions): string {
  const {fromYear, toYear} = report.parameters
  const {count, mean, stddev, missingYears} = report.result
  const missing = missingYears.length > 0 ? ` No population for ${missingYears.join(', ')}.` : ''
  return [
    `<section id="population_stats"><h2>US population ${fromYear}–${toYear}</h2>`,
    `<p class="headline">Mean ${formatNumber(mean)}, standard deviation ${formatNumber(stddev)} (sample, n−1) over ${count} years.${missing}</p>`,
    table(report, options),
    inputs(report),
    '</section>',
  ].join('\n')
}

/** The page: the series chart, the best-year chart and the population statistics, of the reports given. */
export function renderHtml(reports: readonly Report[], options: PageOptions = {}): string {
  const find = <Name extends Report['report']>(name: Name) => reports.find((r): r is Extract<Report, {report: Name}> => r.report === name)
  const stats = find('population_stats')
  const series = find('series_population')
  const best = find('best_year_by_series')
  const sections = [
    series ? seriesSection(series, stats, options) : '',
    best ? bestYearSection(best, options) : '',
    stats ? populationSection(stats, options) : '',
  ].filter(Boolean)
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
${sections.join('\n')}
</body>
</html>
`
}
