import {Chalk} from 'chalk'

import {limitRows} from '../reports/limit.js'
import type {Basis, BestYearReport, BestYearRow, PopulationStatsReport, Report, SeriesPopulationReport, SeriesPopulationRow} from '../reports/types.js'
import {csvText} from '../util/csv.js'
import {formatNumber} from '../util/number-format.js'
import {escapeJson, sanitize} from '../util/sanitize.js'
import {sparkline} from './sparkline.js'
import {type Align, renderTable} from './table.js'

export const REPORT_FORMATS = ['table', 'json', 'csv', 'markdown'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export interface RenderOptions {
  /** ANSI colour (the caller decides: a terminal, and NO_COLOR unset). */
  color?: boolean
  /** At most this many rows of the best-year and series tables (undefined: all). */
  limit?: number
  /** The series table shows the years that have a population (the joined years), where there are any; `limit` applies to the others. */
  joinedYears?: boolean
}

type Cell = string | number | null

/** A column: its header, its text for people (table, markdown) and its value for CSV. */
export interface Field<Row> {
  header: string
  /** The header people read (table, markdown) where it differs from the CSV one. */
  label: string
  text: (row: Row) => string
  value: (row: Row) => Cell
  align?: Align
}

/** What a report (or a query's result) looks like in every format. */
export interface View<Row> {
  /** Title and headline above a table; none for a query's result. */
  heading?: {title: string; headline: string}
  fields: Field<Row>[]
  rows: Row[]
  /** The report with `rows` limited, for JSON: one line, or one line per row. */
  json: unknown
  /** Rows left out by the limit. */
  omitted: number
}

export const field = <Row>(header: string, value: (row: Row) => Cell, options: {align?: Align; text?: (row: Row) => string; label?: string} = {}): Field<Row> => ({
  header,
  label: options.label ?? header,
  value,
  text: options.text ?? ((row) => String(value(row))),
  align: options.align,
})

const BASIS_TEXT: Record<Basis, string> = {quarterly: 'sum of Q01–Q04', annual: 'Q05 annual average'}

const range = (years: readonly number[]): string => (years.length === 0 ? 'none' : years.join(', '))

function limited<Row>(rows: Row[], limit: number | undefined): {rows: Row[]; omitted: number} {
  const kept = limitRows(rows, limit)
  return {rows: kept, omitted: rows.length - kept.length}
}

interface Statistic {
  key: string
  label: string
  value: Cell
  text: string
}

function populationView(report: PopulationStatsReport): View<Statistic> {
  const {fromYear, toYear} = report.parameters
  const {count, mean, stddev, stddevPopulation, years, missingYears} = report.result
  const rows: Statistic[] = [
    {key: 'fromYear', label: 'from', value: fromYear, text: String(fromYear)},
    {key: 'toYear', label: 'to', value: toYear, text: String(toYear)},
    {key: 'count', label: 'years used', value: count, text: String(count)},
    {key: 'mean', label: 'mean', value: mean, text: formatNumber(mean, 2)},
    {key: 'stddev', label: 'standard deviation (sample, n−1)', value: stddev, text: formatNumber(stddev, 2)},
    {key: 'stddevPopulation', label: 'standard deviation (population, n)', value: stddevPopulation, text: formatNumber(stddevPopulation, 2)},
    {key: 'years', label: 'years', value: years.join(' '), text: range(years)},
    {key: 'missingYears', label: 'missing years', value: missingYears.join(' '), text: range(missingYears)},
  ]
  const missing = missingYears.length > 0 ? `; no population for ${missingYears.join(', ')}` : ''
  return {
    heading: {
      title: report.report,
      headline: `US population ${fromYear}–${toYear}: mean ${formatNumber(mean)}, standard deviation ${formatNumber(stddev)} (sample, n−1) over ${count} years${missing}`,
    },
    fields: [field('statistic', (row) => row.key, {text: (row) => row.label}), field('value', (row) => row.value, {text: (row) => row.text})],
    rows,
    json: report,
    omitted: 0,
  }
}

function bestYearView(report: BestYearReport, limit: number | undefined): View<BestYearRow> {
  const all = report.rows
  const annual = all.filter((row) => row.basis === 'annual').length
  const share = all.length === 0 ? 0 : (100 * annual) / all.length
  const {rows, omitted} = limited(all, limit)
  const fields = [
    field<BestYearRow>('series_id', (row) => row.series_id),
    field<BestYearRow>('year', (row) => row.year, {align: 'right'}),
    field<BestYearRow>('value', (row) => row.value, {align: 'decimal'}),
    // The value is a sum for one basis and an average for the other: people read which.
    field<BestYearRow>('basis', (row) => row.basis, {label: 'value is', text: (row) => BASIS_TEXT[row.basis]}),
  ]
  if (all.some((row) => row.title !== undefined)) fields.push(field('title', (row) => row.title ?? ''))
  return {
    heading: {
      title: report.report,
      headline: `${all.length} series, best year each: ${annual} (${share.toFixed(1)}%) scored on the annual average (Q05), ${all.length - annual} on the sum of Q01–Q04`,
    },
    fields,
    rows,
    json: {...report, rows},
    omitted,
  }
}

function seriesView(report: SeriesPopulationReport, {limit, joinedYears = false}: RenderOptions): View<SeriesPopulationRow> {
  const {seriesId, period} = report.parameters
  const all = report.rows
  const joined = all.filter((row) => row.population !== null)
  const known = joined.length
  const span = all.length === 0 ? '' : ` (${all[0]!.year}–${all.at(-1)!.year})`
  const {rows, omitted} = joinedYears && known > 0 ? {rows: joined, omitted: all.length - known} : limited(all, limit)
  const shape = all.length > 1 ? ` ${sparkline(all.map((row) => row.value))}` : ''
  return {
    heading: {
      title: report.report,
      headline: `${seriesId} ${period}: ${all.length} year${all.length === 1 ? '' : 's'}${span}${shape}, population known for ${known}`,
    },
    fields: [
      field('series_id', (row) => row.series_id),
      field('year', (row) => row.year, {align: 'right'}),
      field('period', (row) => row.period),
      field('value', (row) => row.value, {align: 'decimal'}),
      field('population', (row) => row.population, {align: 'right', text: (row) => (row.population === null ? '—' : formatNumber(row.population))}),
    ],
    rows,
    json: {...report, rows},
    omitted,
  }
}

/** JSON on one line, with C1 and bidi controls escaped too (JSON.stringify leaves them raw). */
const jsonLine = (value: unknown): string => escapeJson(JSON.stringify(value))

/** Markdown renders raw HTML: `&`, `<` and `>` as entities, so a series id or title shows as text. */
const markdownText = (text: string): string => sanitize(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
const markdownCell = (text: string): string => markdownText(text).replaceAll('\\', '\\\\').replaceAll('|', '\\|')

export async function renderView<Row>(view: View<Row>, format: ReportFormat, color: boolean): Promise<string> {
  const {fields, rows, heading} = view
  switch (format) {
    case 'json':
      return Array.isArray(view.json) ? view.json.map(jsonLine).join('\n') : jsonLine(view.json)
    case 'csv':
      return csvText(fields.map((f) => f.header), rows.map((row) => fields.map((f) => f.value(row))))
    case 'markdown': {
      const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
      const table = [
        line(fields.map((f) => f.label)),
        line(fields.map((f) => (f.align === undefined || f.align === 'left' ? '---' : '---:'))),
        ...rows.map((row) => line(fields.map((f) => markdownCell(f.text(row))))),
      ]
      return [...(heading === undefined ? [] : [`### ${heading.title}`, '', markdownText(heading.headline), '']), ...table, ...footer(view, (text) => ['', `_${text}_`])].join('\n')
    }
    case 'table': {
      const chalk = new Chalk({level: color ? 1 : 0})
      const table = renderTable(rows, fields.map((f) => ({header: f.label, value: f.text, align: f.align})), (header) => chalk.bold(header))
      return [...(heading === undefined ? [] : [chalk.bold.cyan(heading.title), sanitize(heading.headline), '']), table, ...footer(view, (text) => [chalk.dim(text)])].join('\n')
    }
  }
}

function footer<Row>(view: View<Row>, wrap: (text: string) => string[]): string[] {
  const {omitted} = view
  return omitted > 0 ? wrap(`… ${formatNumber(omitted)} more row${omitted === 1 ? '' : 's'} not shown; --limit 0 shows all`) : []
}

/** One report in one format: table (headline, aligned columns), json (one line), csv or markdown. */
export async function renderReport(report: Report, format: ReportFormat, options: RenderOptions = {}): Promise<string> {
  const color = options.color ?? false
  switch (report.report) {
    case 'population_stats':
      return renderView(populationView(report), format, color)
    case 'best_year_by_series':
      return renderView(bestYearView(report, options.limit), format, color)
    case 'series_population':
      return renderView(seriesView(report, options), format, color)
  }
}

/** Several reports: JSON one line each; the other formats separated by a blank line. */
export async function renderReports(reports: readonly Report[], format: ReportFormat, options: RenderOptions = {}): Promise<string> {
  const texts = await Promise.all(reports.map((report) => renderReport(report, format, options)))
  return texts.join(format === 'json' ? '\n' : '\n\n')
}
