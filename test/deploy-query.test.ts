// The stack's Glue/Athena resources (deploy/query.ts): synthesized clean under cdk-nag, and the
// view SQL they deploy executed on DuckDB over the real pr files, read the way Athena reads them
// (every file under the survey's prefix, header skipped, lenient column counts).
import path from 'node:path'

import {DuckDBInstance} from '@duckdb/node-api'
import {App, Stack, Validations} from 'aws-cdk-lib'
import {Template} from 'aws-cdk-lib/assertions'
import * as s3 from 'aws-cdk-lib/aws-s3'
import {AwsSolutionsChecks} from 'cdk-nag'
import t from 'tap'

import {DEFAULT_SCAN_LIMIT, Query, RESULT_DAYS, surveyKinds} from '../deploy/query.js'
import {catalogEntries, loadQueryCatalog} from '../deploy/query-catalog.js'
import {querySchema, runQuery, surveyCatalog} from '../src/query/index.js'
import {rawName, viewSql} from '../src/query/sql.js'
import {FolderStore} from '../src/stores/folder.js'
import {removeTempDirs, tempDir} from './helpers/bls-files.js'
import {FIXTURES, loadSnapshot} from './helpers/upstream.js'

t.teardown(removeTempDirs)

type Resource = {Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string}
type TableInput = {
  Name: string
  TableType: string
  Parameters: Record<string, string>
  ViewOriginalText?: string
  StorageDescriptor: {Columns: {Name: string; Type: string}[]; Location?: string; SerdeInfo?: {SerializationLibrary: string; Parameters: Record<string, string>}}
}

const SNAPSHOT_FILES = path.join(FIXTURES, 'bls-pr-2024-06-06/files')

// The construct alone in a stack (the full stack's synth bundles three Lambdas: minutes), checked by cdk-nag.
const app = new App()
const stack = new Stack(app, 'Dataquest')
const raw = s3.Bucket.fromBucketName(stack, 'Raw', 'dataquest-raw-example')
new Query(stack, 'Query', {raw, surveys: 'pr,cu', destroyData: false})
Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
app.synth() // an unacknowledged cdk-nag finding throws here
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>
const ofType = (type: string): Resource[] => Object.values(resources).filter((r) => r.Type === type)
const tables = ofType('AWS::Glue::Table').map((r) => r.Properties.TableInput as TableInput)
const views = tables.filter((table) => table.TableType === 'VIRTUAL_VIEW')
const rawTables = tables.filter((table) => table.TableType === 'EXTERNAL_TABLE')

/** The Presto view definition a Glue view holds: the SQL Athena runs and its column types. */
const definition = (view: TableInput): {originalSql: string; catalog: string; schema: string; columns: {name: string; type: string}[]} =>
  JSON.parse(Buffer.from(/^\/\* Presto View: (.+) \*\/$/.exec(view.ViewOriginalText!)![1]!, 'base64').toString('utf8'))

t.test('the catalog file describes pr as its files do (no drift from the snapshot)', async (t) => {
  const snapshot = new FolderStore(await tempDir())
  for (const file of await loadSnapshot()) await snapshot.write(`bls/pr/${file.name}`, file.body)
  t.same(catalogEntries((await surveyCatalog(snapshot)).kinds).pr, loadQueryCatalog().pr)
})

t.test('which kinds the stack declares: the catalog\'s; the data files alone for a survey it does not describe', async (t) => {
  const catalog = loadQueryCatalog()
  t.same(surveyKinds('all', catalog).map((kind) => `${kind.survey}_${kind.kind}`), catalog.pr!.map((kind) => `pr_${kind.kind}`))
  t.same(surveyKinds('cu', catalog), [{survey: 'cu', kind: 'data', columns: ['series_id', 'year', 'period', 'value', 'footnote_codes']}])
})

t.test('Glue: one database, a raw table and a view per survey file kind', async (t) => {
  t.equal(ofType('AWS::Glue::Database').length, 1)
  t.match(ofType('AWS::Glue::Database')[0]!.Properties, {DatabaseInput: {Name: 'dataquest'}})
  const names = views.map((view) => view.Name).sort()
  t.same(names, [...loadQueryCatalog().pr!.map((kind) => `pr_${kind.kind}`), 'cu_data'].sort())
  t.same(rawTables.map((table) => table.Name).sort(), names.map((name) => `${name}_raw`).sort())
  for (const table of rawTables) {
    const survey = table.Name.split('_')[0]
    t.same(table.StorageDescriptor.Location, `s3://dataquest-raw-example/bls/${survey}/`, `${table.Name}: the survey's prefix`)
    t.same(table.StorageDescriptor.SerdeInfo, {
      SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
      Parameters: {'field.delim': '\t', 'serialization.format': '\t'},
    })
    t.equal(table.Parameters['skip.header.line.count'], '1', `${table.Name} skips the header`)
    t.ok(table.StorageDescriptor.Columns.every((column) => column.Type === 'string'))
  }
  for (const view of views) {
    const {originalSql, catalog, schema, columns} = definition(view)
    t.equal(catalog, 'awsdatacatalog')
    t.equal(schema, 'dataquest')
    t.match(originalSql, new RegExp(`FROM "${view.Name}_raw" WHERE`), `${view.Name} reads its raw table`)
    t.same(view.StorageDescriptor.Columns.map((column) => column.Name), columns.map((column) => column.name))
    t.equal(view.Parameters.presto_view, 'true')
  }
  const data = views.find((view) => view.Name === 'pr_data')!
  t.same(
    data.StorageDescriptor.Columns.map((column) => column.Type),
    ['string', 'int', 'string', 'decimal(18,3)', 'string', 'string'],
    'Hive types for the Trino types',
  )
})

t.test('Athena: a workgroup that enforces encrypted, expiring results and a scan cutoff', async (t) => {
  const [workGroup] = ofType('AWS::Athena::WorkGroup')
  t.match(workGroup!.Properties, {
    Name: 'Dataquest-query',
    RecursiveDeleteOption: true,
    WorkGroupConfiguration: {
      EnforceWorkGroupConfiguration: true,
      BytesScannedCutoffPerQuery: DEFAULT_SCAN_LIMIT.toBytes(),
      EngineVersion: {SelectedEngineVersion: 'Athena engine version 3'},
      ResultConfiguration: {EncryptionConfiguration: {EncryptionOption: 'SSE_S3'}},
    },
  })
  const [results] = ofType('AWS::S3::Bucket')
  t.match(results!.Properties, {
    BucketEncryption: {ServerSideEncryptionConfiguration: [{ServerSideEncryptionByDefault: {SSEAlgorithm: 'AES256'}}]},
    LifecycleConfiguration: {Rules: [{ExpirationInDays: RESULT_DAYS, Status: 'Enabled'}]},
    PublicAccessBlockConfiguration: {BlockPublicAcls: true, RestrictPublicBuckets: true},
  })
  t.equal(results!.DeletionPolicy, 'Retain')
})

t.test("the deployed view SQL runs on DuckDB over the real pr files, read as Athena reads the survey's prefix", async (t) => {
  const db = await DuckDBInstance.create(':memory:', {autoinstall_known_extensions: 'false', autoload_known_extensions: 'false'})
  const connection = await db.connect()
  t.teardown(() => {
    connection.closeSync()
    db.closeSync()
  })
  // Athena's table: every object under the location (data files, lookups, pr.txt, pr.contacts),
  // the first line of each skipped, missing columns NULL and extra ones dropped, $path per row.
  const everyFile = (await loadSnapshot()).map((file) => `'${path.join(SNAPSHOT_FILES, file.name)}'`)
  for (const table of rawTables.filter((table) => table.Name.startsWith('pr_'))) {
    const columns = table.StorageDescriptor.Columns.map((column) => `'${column.Name}': 'VARCHAR'`).join(', ')
    await connection.run(
      `CREATE VIEW "${table.Name}" AS SELECT * FROM read_csv([${everyFile.join(', ')}], delim = '\t', header = true, quote = '', escape = '', auto_detect = false, ` +
        `columns = {${columns}}, null_padding = true, strict_mode = false, filename = '$path')`,
    )
  }
  const laptop = new FolderStore(await tempDir())
  for (const file of await loadSnapshot()) await laptop.write(`bls/pr/${file.name}`, file.body)
  const schema = await querySchema({raw: laptop})

  for (const view of views.filter((view) => view.Name.startsWith('pr_'))) {
    const {originalSql, columns} = definition(view)
    await connection.run(`CREATE VIEW "${view.Name}" AS ${originalSql}`)
    const described = await connection.runAndReadAll(`SELECT column_name, lower(column_type) FROM (DESCRIBE "${view.Name}")`)
    t.same(described.getRows().map(([name, type]) => ({name, type})), columns, `${view.Name}: the types Athena is told are those the SQL yields`)
    t.same(columns, schema.relations.find((relation) => relation.name === view.Name)!.columns, `${view.Name}: the columns dataquest query has`)
    const athena = await connection.runAndReadAll(`SELECT * FROM "${view.Name}" ORDER BY ALL`)
    const local = await runQuery(`SELECT * FROM "${view.Name}" ORDER BY ALL`, {raw: laptop})
    // The same rows from the whole prefix as from the view's own files (decimals compared as numbers).
    const decimal = columns.map((column) => column.type.startsWith('decimal'))
    const rows = athena.getRowsJson().map((row) => row.map((cell, i) => (decimal[i] && cell !== null ? Number(cell) : cell)))
    t.same(rows, local.rows, `${view.Name}: ${rows.length} rows, as dataquest query reads them`)
  }
  const count = (await connection.runAndReadAll("SELECT count(*) FROM pr_data WHERE file = 'pr.data.0.Current'")).getRows()[0]![0]
  t.equal(Number(count), 35_817, 'no row of another file in pr_data')
  t.equal(viewSql({survey: 'zz', kind: 'period', columns: ['period']}).includes("= 'zz.period'"), true, 'a lookup without a recorded file name: S.<kind>')
  t.equal(rawName({survey: 'zz', kind: 'period'}), 'zz_period_raw')
})
