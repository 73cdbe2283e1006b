import {readFile} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {endpoint, jsonFlag, processed, raw, region} from '../cli/flags.js'
import {reportFormat, rowLimit, TERMINAL_ROWS} from '../cli/report-flags.js'
import {type Cell, QueryError, type QueryResult, runQuery, type Schema, querySchema} from '../query/index.js'
import {useColor} from '../render/progress.js'
import {renderQueryResult, renderSchema, rowObject} from '../render/query.js'
import {REPORT_FORMATS} from '../render/reports.js'
import {sanitize} from '../util/sanitize.js'

type QueryOutput = Schema | {columns: QueryResult['columns']; rows: Record<string, Cell>[]; verified: QueryResult['verified']}

export default class Query extends BaseCommand {
  static override summary = 'Run SQL over the raw folder store (DuckDB, embedded) and print the result.'
  static override description =
    'Every mirrored survey S has views: S_data (every S.data.* file: series_id, year, period, value, footnote_codes, file), S_series and one per lookup file (S_period, S_measure…), all text trimmed; the processed reports are the tables population_stats, best_year_by_series and series_population. --schema lists them with their columns. One SELECT (or EXPLAIN) per run; the store is read in place, never written, and the raw files the query reads are checked against the MD5s the store recorded. Output as report prints it: a table (its first rows on a terminal; --limit 0 for all), JSON lines, CSV or markdown; --json prints {columns, rows, verified}.'

  static override examples = [
    `<%= config.bin %> query "SELECT series_id, year, value FROM pr_data WHERE series_id = 'PRS30006032' AND period = 'Q01' ORDER BY year"`,
    '<%= config.bin %> query --file q.sql --format csv > result.csv',
    '<%= config.bin %> query --schema',
    "<%= config.bin %> query \"SELECT d.year, d.value, s.measure_text FROM pr_data d JOIN pr_series USING (series_id) JOIN pr_measure s USING (measure_code) WHERE d.file = 'pr.data.0.Current' LIMIT 5\"",
  ]

  static override args = {
    sql: Args.string({name: 'sql', description: 'the SELECT to run (or --file, or --schema)'}),
  }

  static override flags = {
    // DuckDB reads the files in place: the raw store is a folder here.
    raw: {...raw, description: raw.description!.replace('a folder or s3://bucket/prefix', 'a folder (a bucket: dataquest sync it to one first)')},
    processed,
    endpoint,
    region,
    file: Flags.string({char: 'f', description: 'read the SQL from this file', helpValue: 'FILE'}),
    schema: Flags.boolean({description: 'list the views and tables with their columns, run nothing'}),
    format: Flags.string({description: 'output format; json: one line per row (JSON lines)', options: [...REPORT_FORMATS], default: 'table'}),
    limit: Flags.integer({
      description: `at most N rows, in every format and with --json; 0 for all [default: all, or ${TERMINAL_ROWS} in a table on a terminal]`,
      min: 0,
      helpValue: 'N',
    }),
    json: jsonFlag('the result ({"columns": […], "rows": [{…}], "verified": {…}}; with --schema {"relations": […]})'),
  }

  async run(): Promise<QueryOutput> {
    const {args, flags} = await this.parse(Query)
    const given = [args.sql !== undefined, flags.file !== undefined, flags.schema].filter(Boolean).length
    if (given !== 1) this.error('give the SQL to run as an argument, or --file q.sql, or --schema (one of them)', {exit: 2})
    const json = this.jsonEnabled()
    const locations = this.locations({raw: flags.raw, processed: flags.processed})
    const options = {raw: this.store(locations.raw, flags), processed: this.store(locations.processed, flags)}
    const limit = rowLimit({limit: flags.limit, format: json ? 'json' : flags.format}, process.stdout)
    const render = {color: useColor(process.stdout, process.env), limit}
    const sql = flags.schema ? undefined : (args.sql ?? (await this.readSql(flags.file!)))
    try {
      if (flags.schema) {
        const schema = await querySchema(options)
        if (!json) this.log(await renderSchema(schema, reportFormat(flags.format), render))
        return schema
      }
      const result = await runQuery(sql!, options)
      if (result.verified.unknown.length > 0) {
        process.stderr.write(`⚠ not verified (the store has no MD5 for them; a fetch or sync records one): ${sanitize(result.verified.unknown.join(', '))}\n`)
      }
      if (!json) this.log(await renderQueryResult(result, reportFormat(flags.format), render))
      const rows = result.rows.slice(0, limit).map((row) => rowObject(result.columns, row))
      return {columns: result.columns, rows, verified: result.verified}
    } catch (error) {
      if (error instanceof QueryError && error.usage) this.error(error.message, {exit: 2})
      this.fail((error as Error).message)
    }
  }

  private async readSql(file: string): Promise<string> {
    try {
      return await readFile(file, 'utf8')
    } catch (error) {
      this.error(`--file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, {exit: 2})
    }
  }
}
