import {createHash} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {DuckDBConnection} from '@duckdb/node-api'

import {readReport, type Report, reportKey, REPORT_NAMES, type ReportName} from '../reports/index.js'
import {FolderStore} from '../stores/folder.js'
import {NotFoundError, type Store} from '../stores/store.js'
import {mapLimit} from '../util/concurrency.js'
import {DataquestError} from '../util/errors.js'
import {type CatalogKind, surveyCatalog} from './catalog.js'
import {PATH_COLUMN, rawName, VALUE_TYPE, type ViewColumn, viewName, viewSql} from './sql.js'

export {surveyCatalog, type Catalog, type CatalogKind} from './catalog.js'

/** Why a query did not run. `usage`: the SQL or the options are wrong (kind usage, exit 2); otherwise a failure (exit 1). */
export class QueryError extends DataquestError {
  constructor(message: string, usage: boolean) {
    super(usage ? 'usage' : 'input', message)
    this.name = 'QueryError'
  }
}

export interface QueryOptions {
  /** The raw store: a folder (DuckDB reads its files in place). */
  raw: Store
  /** The processed store, whose reports become tables; absent reports are left out. */
  processed?: Store
}

/** A view or table the SQL can read. */
export interface Relation {
  name: string
  kind: 'view' | 'table'
  columns: ViewColumn[]
  /** The store keys it reads (views: raw files; tables: the report). */
  files: string[]
}

export type Cell = string | number | boolean | null | Cell[] | {[key: string]: Cell}

export interface QueryResult {
  columns: ViewColumn[]
  /** One array per row, a cell per column (names may repeat: `SELECT 1 a, 2 a`). */
  rows: Cell[][]
  /** Raw files read whose bytes were checked against the MD5 the store recorded, and those it had none for. */
  verified: {files: number; bytes: number; unknown: string[]}
}

export interface Schema {
  relations: Relation[]
  /** Raw files no view reads, and why (`pr.txt`: not a tab-separated table). */
  skipped: {key: string; reason: string}[]
}

/** A processed report as a table: its columns, and its rows under those names. */
interface ReportTable {
  columns: ViewColumn[]
  rows: (report: Report) => Record<string, unknown>[]
}

const REPORT_TABLES: Record<ReportName, ReportTable> = {
  population_stats: {
    columns: [
      {name: 'from_year', type: 'integer'},
      {name: 'to_year', type: 'integer'},
      {name: 'count', type: 'integer'},
      {name: 'mean', type: 'double'},
      {name: 'stddev', type: 'double'},
      {name: 'stddev_population', type: 'double'},
      {name: 'years', type: 'integer[]'},
      {name: 'missing_years', type: 'integer[]'},
    ],
    rows: (report) => {
      const {parameters, result} = report as Extract<Report, {report: 'population_stats'}>
      return [
        {
          from_year: parameters.fromYear,
          to_year: parameters.toYear,
          count: result.count,
          mean: result.mean,
          stddev: result.stddev,
          stddev_population: result.stddevPopulation,
          years: result.years,
          missing_years: result.missingYears,
        },
      ]
    },
  },
  best_year_by_series: {
    columns: [
      {name: 'series_id', type: 'varchar'},
      {name: 'year', type: 'integer'},
      {name: 'value', type: VALUE_TYPE},
      {name: 'basis', type: 'varchar'},
      {name: 'title', type: 'varchar'},
    ],
    rows: (report) => (report as Extract<Report, {report: 'best_year_by_series'}>).rows.map((row) => ({...row})),
  },
  series_population: {
    columns: [
      {name: 'series_id', type: 'varchar'},
      {name: 'year', type: 'integer'},
      {name: 'period', type: 'varchar'},
      {name: 'value', type: VALUE_TYPE},
      {name: 'population', type: 'bigint'},
    ],
    rows: (report) => (report as Extract<Report, {report: 'series_population'}>).rows.map((row) => ({...row})),
  },
}

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`

/** The raw relation of a file kind on a laptop: its own files, every cell as text, lenient as Athena's SerDe. */
function rawViewSql(root: string, kind: CatalogKind): string {
  const files = kind.files.map((file) => sqlString(path.join(root, ...file.key.split('/'))))
  const columns = kind.columns.map((name) => `${sqlString(name)}: 'VARCHAR'`)
  return (
    `CREATE VIEW "${rawName(kind)}" AS SELECT * FROM read_csv([${files.join(', ')}], delim = '\t', header = true, quote = '', escape = '', ` +
    `auto_detect = false, columns = {${columns.join(', ')}}, null_padding = true, strict_mode = false, filename = ${sqlString(PATH_COLUMN)})`
  )
}

/** The folder behind a raw store, or a usage error: DuckDB reads the files in place. */
function folderRoot(raw: Store): string {
  if (raw instanceof FolderStore) return raw.root
  throw new QueryError(
    `dataquest query reads a folder; ${raw.location} is not one: copy it first (dataquest sync --from ${raw.location} --to ./data/raw) and query --raw ./data/raw`,
    true,
  )
}

/** An open in-memory database, closed (and its spill folder removed) by `close`. */
interface Database {
  connection: DuckDBConnection
  close(): Promise<void>
}

async function openDatabase(): Promise<Database> {
  // Loaded here, not at the top: only this command pays for DuckDB (tested in built-cli.test.ts).
  const {DuckDBInstance} = await import('@duckdb/node-api')
  // Spills go to a folder of ours, never beside the store (an in-memory database spills to ./.tmp).
  const temp = await mkdtemp(path.join(os.tmpdir(), 'dataquest-query-'))
  const instance = await DuckDBInstance.create(':memory:', {
    // Nothing downloaded at run time: the extensions used (json, parquet) are built in.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    temp_directory: temp,
  })
  const connection = await instance.connect()
  return {
    connection,
    close: async () => {
      connection.closeSync()
      instance.closeSync()
      await rm(temp, {recursive: true, force: true})
    },
  }
}

/** The processed reports there are; a store without them (only fetched so far) has none. */
async function loadReportTables(processed: Store | undefined): Promise<{name: ReportName; report: Report}[]> {
  if (!processed) return []
  const reports = await Promise.all(
    REPORT_NAMES.map(async (name) => {
      try {
        return [{name, report: await readReport(processed, reportKey(name))}]
      } catch (error) {
        if (error instanceof NotFoundError) return []
        throw new QueryError(`${reportKey(name)} in ${processed.location}: ${(error as Error).message}; run \`dataquest transform\` again`, false)
      }
    }),
  )
  return reports.flat()
}

interface Prepared {
  database: Database
  catalog: Awaited<ReturnType<typeof surveyCatalog>>
  relations: Relation[]
  /** Raw files behind each view and raw relation, by name. */
  filesOf: Map<string, CatalogKind['files']>
}

/** A database with a view per survey file kind (and its raw relation) and a table per report. */
async function prepare({raw, processed}: QueryOptions): Promise<Prepared> {
  const root = folderRoot(raw)
  const catalog = await surveyCatalog(raw)
  const reports = await loadReportTables(processed)
  if (catalog.kinds.length === 0 && reports.length === 0) {
    throw new QueryError(`no survey in ${raw.location} (no bls/<survey>/ tables) and no report in ${processed?.location ?? 'the processed store'}: run \`dataquest fetch\` first, or point --raw at a mirror`, false)
  }
  const database = await openDatabase()
  const relations: Relation[] = []
  const filesOf = new Map<string, CatalogKind['files']>()
  try {
    const run = (sql: string, values?: unknown[]) => database.connection.run(sql, values as never)
    for (const kind of catalog.kinds) {
      await run(rawViewSql(root, kind))
      await run(`CREATE VIEW "${viewName(kind)}" AS ${viewSql(kind)}`)
      const files = kind.files.map((file) => file.key)
      relations.push({name: viewName(kind), kind: 'view', columns: [], files})
      filesOf.set(viewName(kind), kind.files).set(rawName(kind), kind.files)
    }
    for (const {name, report} of reports) {
      const {columns, rows} = REPORT_TABLES[name]
      const struct = JSON.stringify([Object.fromEntries(columns.map((column) => [column.name, column.type.toUpperCase()]))])
      // The rows travel as one JSON parameter: no SQL is built from report contents.
      await run(`CREATE TABLE "${name}" AS SELECT unnest(from_json_strict($1::JSON, ${sqlString(struct)}), recursive := true)`, [JSON.stringify(rows(report))]).catch(
        (error: unknown) => {
          throw new QueryError(`${reportKey(name)} in ${processed!.location} does not fit its table (${duckdbProblem(error).message}); run \`dataquest transform\` again`, false)
        },
      )
      relations.push({name, kind: 'table', columns: [], files: [reportKey(name)]})
    }
    // The types as DuckDB resolves them (the views' must be those deploy/query.ts declares to Athena).
    const described = await database.connection.runAndReadAll(
      `SELECT table_name, column_name, lower(data_type) FROM information_schema.columns WHERE table_schema = 'main' ORDER BY table_name, ordinal_position`,
    )
    for (const [table, name, type] of described.getRows() as [string, string, string][]) {
      relations.find((relation) => relation.name === table)?.columns.push({name, type})
    }
    await run('SET lock_configuration = true')
  } catch (error) {
    await database.close()
    throw error
  }
  return {database, catalog, relations: relations.sort((a, b) => (a.name < b.name ? -1 : 1)), filesOf}
}

/** The views and tables a query can read, with their columns. */
export async function querySchema(options: QueryOptions): Promise<Schema> {
  const {database, catalog, relations} = await prepare(options)
  await database.close()
  return {relations, skipped: catalog.skipped}
}

/** DuckDB's message on one line: the error, and its suggestion, without the caret drawing. */
function duckdbProblem(error: unknown): QueryError {
  // extractStatements wraps the parser's message in one of its own.
  const message = (error as Error).message.replace(/^Failed to extract statements: /, '')
  const lines = message.split('\n').map((line) => line.trim())
  const end = lines.findIndex((line) => line.startsWith('LINE '))
  const text = lines.slice(0, end < 0 ? undefined : end).filter((line) => line !== '').join(' ')
  // Wrong SQL (it can never run as written) is a usage error; a failure while running is not.
  const usage = /^(Parser|Binder|Catalog) Error/.test(text)
  return new QueryError(usage ? `${text}; \`dataquest query --schema\` lists the views and their columns` : text, usage)
}

/** Every `table_name` in DuckDB's parse of the SQL: the relations it reads (views, tables, CTE names). */
function tableNames(tree: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(tree)) for (const item of tree) tableNames(item, names)
  else if (tree !== null && typeof tree === 'object') {
    for (const [key, value] of Object.entries(tree)) {
      if (key === 'table_name' && typeof value === 'string') names.add(value.toLowerCase())
      else tableNames(value, names)
    }
  }
  return names
}

/** The raw files the statement reads: those behind the views it names (all of them when the parse says nothing). */
async function filesRead(connection: DuckDBConnection, sql: string, filesOf: Prepared['filesOf']): Promise<CatalogKind['files']> {
  const parsed = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql])
  const tree = JSON.parse(String(parsed.getRows()[0]![0])) as {error: boolean}
  const names = tree.error ? [...filesOf.keys()] : [...tableNames(tree)]
  const files = new Map(names.flatMap((name) => filesOf.get(name) ?? []).map((file) => [file.key, file]))
  return [...files.values()]
}

/**
 * Hash the files as transform does: where the store recorded an MD5 (folder manifest), the bytes
 * must have it, or the result is refused. Files it knows nothing about (written by hand) are named.
 */
async function verifyFiles(raw: Store, files: CatalogKind['files']): Promise<QueryResult['verified']> {
  const unknown: string[] = []
  let bytes = 0
  let checked = 0
  await mapLimit(files, 4, async ({key}) => {
    const known = (await raw.stat(key, {hash: false}))?.md5
    if (known === undefined) {
      unknown.push(key)
      return
    }
    const hash = createHash('md5')
    for await (const chunk of await raw.read(key, {chunkBytes: 1024 * 1024})) {
      hash.update(chunk as Buffer)
      bytes += (chunk as Buffer).length
    }
    const read = hash.digest('hex')
    if (read !== known) {
      throw new QueryError(`${key} in ${raw.location} is damaged: its bytes have MD5 ${read}, the store recorded ${known}; fetch or sync it again (no result was printed)`, false)
    }
    checked++
  })
  return {files: checked, bytes, unknown: unknown.sort()}
}

/** Statements a query may run: they read, never write (nothing in the store, nothing in the session). */
const READING = new Set(['SELECT', 'EXPLAIN'])

/** JSON values for DuckDB's: decimals and big integers as numbers where a number holds them exactly enough. */
function cell(value: unknown, type: string): Cell {
  if (typeof value === 'string' && /^(decimal|bigint|hugeint|ubigint|uhugeint)/.test(type)) {
    const number = Number(value)
    return type.startsWith('decimal') || Number.isSafeInteger(number) ? number : value
  }
  return value as Cell
}

/**
 * Run one SELECT over the mirror: DuckDB in memory, views over the raw files (read in place,
 * never written), the reports as tables. The raw files the statement reads are hashed while it
 * runs and checked against the store's MD5s; a mismatch refuses the result.
 */
export async function runQuery(sql: string, options: QueryOptions): Promise<QueryResult> {
  const {database, filesOf} = await prepare(options)
  const {connection} = database
  try {
    let statements
    try {
      statements = await connection.extractStatements(sql)
    } catch (error) {
      // DuckDB's answer to SQL without a statement (empty, only comments) says nothing of it.
      if ((error as Error).message === 'Error in native callback') throw new QueryError('the SQL holds no statement; dataquest query runs one SELECT', true)
      throw duckdbProblem(error)
    }
    if (statements.count !== 1) {
      throw new QueryError(`the SQL holds ${statements.count} statements; dataquest query runs one SELECT`, true)
    }
    const {StatementType} = await import('@duckdb/node-api')
    let statement
    try {
      statement = await statements.prepare(0)
    } catch (error) {
      throw duckdbProblem(error)
    }
    const type = StatementType[statement.statementType]
    if (!READING.has(type)) {
      throw new QueryError(`dataquest query runs SELECT (or EXPLAIN) only, never ${type}: the mirror is read, not written`, true)
    }
    // Parsed before it runs: one connection runs one statement at a time.
    const files = await filesRead(connection, sql, filesOf)
    const [ran, checked] = await Promise.allSettled([statement.runAndReadAll(), verifyFiles(options.raw, files)])
    // Damaged input wins over any other outcome: no result from bytes the store did not vouch for.
    if (checked.status === 'rejected') throw checked.reason
    if (ran.status === 'rejected') throw duckdbProblem(ran.reason)
    const result = ran.value
    const columns = result.columnNames().map((name, i) => ({name, type: result.columnTypes()[i]!.toString().toLowerCase()}))
    const rows = result.getRowsJson().map((row) => row.map((value, i) => cell(value, columns[i]!.type)))
    const verified = checked.value
    return {columns, rows, verified}
  } finally {
    await database.close()
  }
}
