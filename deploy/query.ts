import {Aws, CfnOutput, Duration, Size, Stack} from 'aws-cdk-lib'
import * as athena from 'aws-cdk-lib/aws-athena'
import * as glue from 'aws-cdk-lib/aws-glue'
import * as s3 from 'aws-cdk-lib/aws-s3'
import {Construct} from 'constructs'

import {DATA_COLUMNS, type FileKind, rawName, viewColumns, viewName, viewSql} from '../src/query/sql.js'
import {blsPrefix} from '../src/stores/raw-layout.js'
import {acknowledge} from './nag.js'
import {loadQueryCatalog, type QueryCatalogFile} from './query-catalog.js'
import {privateBucketProps} from './storage.js'

export interface QueryProps {
  /** The raw bucket: the mirror, `bls/<survey>/<file>` at its root. */
  raw: s3.IBucket
  /** The stack's survey list (`pr,cu` or `all`: every survey of the catalog). */
  surveys: string
  destroyData: boolean
  /** The file kinds and columns of each survey (default: deploy/query-catalog.json). */
  catalog?: QueryCatalogFile
  /** A query scanning more is cancelled (and billed up to here): default 10 GB, $0.05 at $5/TB. */
  scanLimit?: Size
}

/** Days Athena's result files are kept: they are re-creatable by running the query again. */
export const RESULT_DAYS = 7
export const DEFAULT_SCAN_LIMIT = Size.gibibytes(10)

/** Glue (Hive) column types for the Trino types of the views. */
const hiveType = (type: string): string => ({varchar: 'string', integer: 'int'})[type] ?? type

/**
 * The file kinds the stack declares for each survey: those of the catalog; for a survey it does
 * not describe, the data files alone (their columns are the same in every BLS survey).
 */
export function surveyKinds(surveys: string, catalog: QueryCatalogFile): FileKind[] {
  const codes = surveys === 'all' ? Object.keys(catalog) : surveys.split(',')
  return codes.flatMap((survey) =>
    (catalog[survey] ?? [{kind: 'data', columns: [...DATA_COLUMNS]}]).map((kind) => ({survey, ...kind})),
  )
}

/**
 * An Athena view as Glue stores one: a VIRTUAL_VIEW whose original text is the Presto view
 * definition (base64 JSON of the SQL and its column types), the form Athena's CREATE VIEW writes.
 */
function viewTableInput(database: string, kind: FileKind): glue.CfnTable.TableInputProperty {
  const columns = viewColumns(kind)
  const definition = {originalSql: viewSql(kind), catalog: 'awsdatacatalog', schema: database, columns}
  return {
    name: viewName(kind),
    tableType: 'VIRTUAL_VIEW',
    parameters: {presto_view: 'true', comment: 'Presto View'},
    viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(definition)).toString('base64')} */`,
    viewExpandedText: '/* Presto View */',
    storageDescriptor: {columns: columns.map(({name, type}) => ({name, type: hiveType(type)}))},
  }
}

/**
 * SQL over the raw bucket in Athena: a Glue database with a table per survey file kind (`pr_data_raw`,
 * `pr_series_raw`…: the survey's prefix, tab-separated, header skipped, every column a string),
 * the views users query, with the names, columns and SQL `dataquest query` has on a laptop
 * (src/query/sql.ts), and a workgroup whose results are encrypted, expire, and whose queries stop
 * at a bytes-scanned cutoff.
 *
 * A survey's folder holds its data and lookup files side by side, and a Glue table reads every
 * object under its location; each view keeps its own files by the `"$path"` of each row. That
 * needs nothing written besides the mirror (symlink manifests would have to be rewritten by fetch
 * whenever BLS adds or drops a file), and new data files are picked up as they arrive. The cost:
 * Athena may read the whole survey prefix for any of its views (Trino prunes files on a `$path`
 * predicate only in recent versions), which the scan cutoff bounds.
 */
export class Query extends Construct {
  readonly database: string
  readonly workGroup: athena.CfnWorkGroup
  readonly results: s3.Bucket

  constructor(scope: Construct, id: string, props: QueryProps) {
    super(scope, id)
    // Glue database names are lower case; one per stack (the stack name is unique in the account and region).
    this.database = Stack.of(this).stackName.toLowerCase()

    this.results = new s3.Bucket(this, 'Results', {
      ...privateBucketProps(props.destroyData),
      lifecycleRules: [{id: 'expire-query-results', expiration: Duration.days(RESULT_DAYS), abortIncompleteMultipartUploadAfter: Duration.days(1)}],
    })
    acknowledge(this.results, 'S1', 'No server access logs: Athena query results, expiring after a week, re-creatable by running the query again.')

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {name: this.database, description: 'dataquest: the raw BLS mirror, one view per survey file kind'},
    })
    for (const kind of surveyKinds(props.surveys, props.catalog ?? loadQueryCatalog())) {
      const table = new glue.CfnTable(this, `${viewName(kind)}-raw`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: this.database,
        tableInput: {
          name: rawName(kind),
          tableType: 'EXTERNAL_TABLE',
          parameters: {classification: 'csv', 'skip.header.line.count': '1'},
          storageDescriptor: {
            columns: kind.columns.map((name) => ({name, type: 'string'})),
            location: `s3://${props.raw.bucketName}/${blsPrefix(kind.survey)}`,
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
              parameters: {'field.delim': '\t', 'serialization.format': '\t'},
            },
          },
        },
      })
      table.addResourceDependency(database)
      const view = new glue.CfnTable(this, viewName(kind), {catalogId: Aws.ACCOUNT_ID, databaseName: this.database, tableInput: viewTableInput(this.database, kind)})
      view.addResourceDependency(database)
    }

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${Stack.of(this).stackName}-query`,
      description: 'dataquest: SQL over the raw mirror (Glue database of the same stack)',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: (props.scanLimit ?? DEFAULT_SCAN_LIMIT).toBytes(),
        engineVersion: {selectedEngineVersion: 'Athena engine version 3'},
        resultConfiguration: {
          outputLocation: `s3://${this.results.bucketName}/`,
          encryptionConfiguration: {encryptionOption: 'SSE_S3'},
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    })

    new CfnOutput(scope, 'QueryDatabase', {value: this.database, description: 'Glue database of the survey views (pr_data, pr_series…)'})
    new CfnOutput(scope, 'QueryWorkGroup', {value: this.workGroup.ref, description: 'Athena workgroup: results encrypted, expiring, scan-limited'})
  }
}
