import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {endpoint, jsonFlag, region} from '../cli/flags.js'
import {bucketLocations, DEFAULT_RAW} from '../config/locations.js'
import {syncProgress, useColor} from '../render/progress.js'
import {renderSyncResult, type SyncDirection, syncDirection, syncLine} from '../render/summary.js'
import {SyncError, type SyncSummary, syncStores} from '../sync/index.js'

export default class Sync extends BaseCommand {
  static override summary = 'Copy one store to another, uploading only what differs (MD5 vs ETag or stored MD5).'
  static override description =
    'Plans first (lists both sides), then uploads new and changed files and deletes target objects the source lacks (unless --no-delete), behind the same deletion guard as fetch. Works folder→S3, S3→folder and folder→folder.'

  static override examples = [
    '<%= config.bin %> sync --bucket my-bucket',
    '<%= config.bin %> sync --from s3://my-bucket/raw/ --to ./backup/raw',
    '<%= config.bin %> sync --to s3://my-bucket/raw/ --dry-run --json',
  ]

  static override flags = {
    from: Flags.string({description: 'source store: a folder or s3://bucket/prefix', default: DEFAULT_RAW, helpValue: 'LOC'}),
    to: Flags.string({description: 'target store: a folder or s3://bucket/prefix (wins over --bucket)', helpValue: 'LOC'}),
    bucket: Flags.string({description: 'shorthand for --to s3://NAME/raw/', env: 'DATAQUEST_BUCKET', helpValue: 'NAME'}),
    endpoint,
    region,
    delete: Flags.boolean({description: 'delete target objects the source lacks (--no-delete keeps them)', allowNo: true, default: true}),
    force: Flags.boolean({description: 'override the deletion guard (empty source, or deleting more than half)'}),
    'dry-run': Flags.boolean({description: 'show the plan; upload and delete nothing'}),
    json: jsonFlag('the summary (uploaded, deleted, unchanged, kept, bytes and every file with its action)'),
  }

  async run(): Promise<SyncSummary & {direction: SyncDirection}> {
    const {flags} = await this.parse(Sync)
    const to = flags.to ?? (flags.bucket ? bucketLocations(flags.bucket).raw : undefined)
    if (!to) this.usageError('sync needs a target: --to LOC, or --bucket NAME (or DATAQUEST_BUCKET) for s3://NAME/raw/')
    const source = this.store(flags.from, flags)
    const target = this.store(to, flags)
    if (source.location === target.location) this.usageError(`--from and --to are the same store (${source.location})`)
    if (!flags['dry-run']) await this.beginWriting(target)
    // The library copies either way; people (and --json) are told which way files went.
    const direction = syncDirection(source.location, target.location)
    const directed = (summary: SyncSummary) => ({...summary, direction})
    try {
      const summary = await this.progress().step(
        `Sync (${direction}) ${source.location} → ${target.location}`,
        (step) => syncStores({source, target, delete: flags.delete, force: flags.force, dryRun: flags['dry-run'], onProgress: syncProgress(step)}),
        (s) => syncLine(directed(s)),
      )
      this.show(directed(summary))
      return directed(summary)
    } catch (error) {
      if (error instanceof SyncError) this.show(directed(error.summary))
      this.fail(error, error instanceof SyncError ? {summary: directed(error.summary)} : {})
    }
  }

  private show(summary: SyncSummary & {direction: SyncDirection}): void {
    if (!this.jsonEnabled()) this.log(renderSyncResult(summary, {color: useColor(process.stdout, process.env)}))
  }
}
