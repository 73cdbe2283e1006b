/**
 * The SQL of the survey views, one source for both engines: DuckDB on a laptop (`dataquest query`)
 * and Athena (Trino) over the raw bucket (deploy/query.ts writes the same text into Glue views).
 *
 * Each view reads a "raw" relation of the same file kind: every column text, as the file holds it,
 * plus the `"$path"` of the file each row came from. In Athena that is a Glue table over the
 * survey's prefix (`"$path"` is Athena's pseudo-column); on a laptop a DuckDB view over read_csv
 * of the kind's own files, with the file name aliased to `"$path"`. The dialect is kept to what both
 * engines share: trim, replace, chr, nullif, regexp_extract, LIKE, TRY_CAST, double-quoted names.
 * Where they differ (docs/query.md): trim() removes spaces in DuckDB and all whitespace in Trino
 * (BLS pads with spaces only); Athena's LazySimpleSerDe keeps the CR of CRLF lines in the last
 * field and yields blank lines as rows, so every text is stripped of CR and rows without a first
 * column are dropped; an empty field is '' in Athena and NULL in DuckDB, so both become NULL.
 */

/** The columns of every BLS `S.data.*` file (the header, trimmed). */
export const DATA_COLUMNS = ['series_id', 'year', 'period', 'value', 'footnote_codes'] as const

/** Values have up to 3 decimals in the BLS files (docs/DESIGN.md); 15 digits before the point. */
export const VALUE_TYPE = 'decimal(18,3)'

/** The pseudo-column naming a row's file: Athena's own; DuckDB's read_csv `filename`, renamed. */
export const PATH_COLUMN = '$path'

/** One kind of file of a survey: its data files (`S.data.*`), or one lookup file (`S.series`, `S.period`…). */
export interface FileKind {
  survey: string
  /** `data`, or the lookup's name: the file name after `S.` (`series`, `area_type`). */
  kind: string
  /** Column names of the raw relation: the file header, as identifiers. */
  columns: string[]
  /** A lookup's file name (`pr.series`); data files are every `S.data.*`. */
  file?: string
}

export interface ViewColumn {
  name: string
  /** Trino type name (lower case); DuckDB names the same types in capitals. */
  type: string
}

/** Lower-case letters, digits and `_`: a name valid unquoted in DuckDB, Athena and Glue. */
export const identifier = (text: string): string => text.trim().toLowerCase().replace(/[^a-z0-9_]/g, '_')

/** Header cells as column names: identifiers, none empty, none repeated (`c3`, `name_2`). */
export function columnNames(header: readonly string[]): string[] {
  const seen = new Set<string>()
  return header.map((cell, i) => {
    const base = identifier(cell) || `c${i + 1}`
    let name = /^[0-9]/.test(base) ? `c_${base}` : base
    for (let n = 2; seen.has(name); n++) name = `${base}_${n}`
    seen.add(name)
    return name
  })
}

/** The kind of a file in survey `survey`'s folder: `data` for `S.data.*`, the lookup's name for `S.<name>`. */
export function kindOf(survey: string, fileName: string): string | undefined {
  if (!fileName.startsWith(`${survey}.`)) return undefined
  const rest = fileName.slice(survey.length + 1)
  if (rest.startsWith('data.')) return 'data'
  const kind = identifier(rest)
  return kind === '' || kind === 'data' ? undefined : kind
}

/** The view a user queries: `pr_data`, `pr_series`, `pr_period`. */
export const viewName = (kind: Pick<FileKind, 'survey' | 'kind'>): string => `${kind.survey}_${kind.kind}`
/** The raw relation the view reads (a Glue table in Athena). */
export const rawName = (kind: Pick<FileKind, 'survey' | 'kind'>): string => `${viewName(kind)}_raw`

const quote = (name: string): string => `"${name}"`
/** A text cell as people mean it: no CR, no padding, NULL when empty. */
const clean = (column: string): string => `nullif(trim(replace(${quote(column)}, chr(13), '')), '')`
const FILE_NAME = `regexp_extract(${quote(PATH_COLUMN)}, '[^/]+$')`
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`

/** The view's columns and their types. */
export function viewColumns(kind: FileKind): ViewColumn[] {
  if (kind.kind !== 'data') return kind.columns.map((name) => ({name, type: 'varchar'}))
  return [
    {name: 'series_id', type: 'varchar'},
    {name: 'year', type: 'integer'},
    {name: 'period', type: 'varchar'},
    {name: 'value', type: VALUE_TYPE},
    {name: 'footnote_codes', type: 'varchar'},
    {name: 'file', type: 'varchar'},
  ]
}

/**
 * The view's SELECT: cleaned columns (data: `year` integer and `value` decimal, NULL where the text
 * is not a number, and `file`, the name of the file the row came from), the kind's own files only
 * (the raw relation may see the survey's whole folder), blank lines dropped.
 */
export function viewSql(kind: FileKind): string {
  const first = kind.columns[0]!
  const files = kind.kind === 'data' ? `${FILE_NAME} LIKE ${literal(`${kind.survey}.data.%`)}` : `${FILE_NAME} = ${literal(kind.file ?? `${kind.survey}.${kind.kind}`)}`
  const select =
    kind.kind === 'data'
      ? [
          `${clean('series_id')} AS "series_id"`,
          `TRY_CAST(${clean('year')} AS integer) AS "year"`,
          `${clean('period')} AS "period"`,
          `TRY_CAST(${clean('value')} AS ${VALUE_TYPE}) AS "value"`,
          `${clean('footnote_codes')} AS "footnote_codes"`,
          `${FILE_NAME} AS "file"`,
        ]
      : kind.columns.map((name) => `${clean(name)} AS ${quote(name)}`)
  return `SELECT ${select.join(', ')} FROM ${quote(rawName(kind))} WHERE ${files} AND ${clean(first)} IS NOT NULL`
}
