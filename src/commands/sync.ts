import {Args, Errors, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {bucketFlag, endpoint, jsonFlag, keyFilter, mirrorFlags, profile, region} from '../cli/flags.js'
import {bucketLocations, DEFAULT_RAW} from '../config/locations.js'
import {checkMirrorLocations, LocationError} from '../mirror/locations.js'
import {useColor} from '../render/progress.js'
import {renderSyncResult, type SyncDirection, syncDirection, syncLine} from '../render/summary.js'
import {SyncError, type SyncSummary, syncStores} from '../sync/index.js'

/** A mistake in the command line: exit 2, with the pointer to --help. */
const usage = (message: string): never => {
  throw new Errors.CLIError(message, {exit: 2})
}

export default class Sync extends BaseCommand {
  static override summary = 'Copy one store to another, uploading only what differs (MD5 vs ETag or stored MD5).'
  static override description = [
    'Plans first (lists both sides), then copies new and changed files and deletes the target objects the source lacks that dataquest wrote (fetched or synced); others are kept and counted ("kept 1 not written by dataquest") unless --delete-foreign. --no-delete deletes nothing. The plan is guarded as fetch is: an empty source that would delete, deleting more than half of the files or bytes, or shrinking the target below half its bytes changes nothing unless --force; --max-delete N changes nothing when more than N would go. Works folder→S3, S3→folder and folder→folder.',
    'A source folder that does not exist, and a source and target inside one another (symlinks resolved; S3 by bucket and prefix), are refused. --exclude/--include filter keys as `aws s3 sync` does (the last that matches wins); filtered keys are neither copied nor deleted. See docs/mirror-rules.md.',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> sync --bucket my-bucket',
    '<%= config.bin %> sync s3://my-bucket/raw/ ./backup/raw',
    '<%= config.bin %> sync --from s3://my-bucket/raw/ --to ./backup/raw --exclude "*.AllData"',
    '<%= config.bin %> sync --to s3://my-bucket/raw/ --dry-run --json',
  ]

  // Named here too: help reads `name`, which oclif otherwise sets only on commands it loads itself.
  static override args = {
    src: Args.string({name: 'src', description: 'source store, as --from'}),
    dst: Args.string({name: 'dst', description: 'target store, as --to'}),
  }

  static override flags = {
    from: Flags.string({description: 'source store: a folder or s3://bucket/prefix', default: DEFAULT_RAW, helpValue: 'LOC'}),
    to: Flags.string({description: 'target store: a folder or s3://bucket/prefix (wins over --bucket)', helpValue: 'LOC'}),
    bucket: bucketFlag({description: 'shorthand for --to s3://NAME/raw/', env: 'DATAQUEST_BUCKET'}),
    endpoint,
    region,
    profile,
    delete: Flags.boolean({description: 'delete target objects the source lacks that dataquest wrote (--no-delete keeps them all)', allowNo: true, default: true}),
    'delete-foreign': Flags.boolean({description: 'also delete target objects the source lacks that dataquest did not write'}),
    force: Flags.boolean({description: 'override the guard (empty source, deleting more than half, shrinking below half)'}),
    ...mirrorFlags,
    'dry-run': Flags.boolean({description: 'show the plan; upload and delete nothing'}),
    json: jsonFlag('the summary (uploaded, deleted, unchanged, kept, excluded, bytes and every file with its action)'),
  }

  async run(): Promise<SyncSummary & {direction: SyncDirection}> {
    const {args, flags, raw} = await this.parse(Sync)
    const given = (flag: string): boolean => raw.some((token) => token.type === 'flag' && token.flag === flag)
    if (args.src && given('from')) usage('give the source once: as SRC or as --from')
    if (args.dst && given('to')) usage('give the target once: as DST or as --to')
    if (flags['delete-foreign'] && !flags.delete) usage('--delete-foreign and --no-delete contradict each other')
    const from = args.src ?? flags.from
    const to = args.dst ?? flags.to ?? (flags.bucket ? bucketLocations(flags.bucket).raw : undefined)
    if (!to) this.fail('sync needs a target: --to LOC, or --bucket NAME (or DATAQUEST_BUCKET) for s3://NAME/raw/')
    const source = this.store(from, flags)
    const target = this.store(to, flags)
    if (source.location === target.location) usage(`--from and --to are the same store (${source.location})`)
    // Before the target is locked (which creates its folder): nothing is made for a sync that cannot run.
    await checkMirrorLocations(source.location, target.location).catch((error: Error) => (error instanceof LocationError ? usage(error.message) : this.fail(error.message)))
    if (!flags['dry-run']) await this.beginWriting(target)
    const progress = this.progress()
    // The library copies either way; people (and --json) are told which way files went.
    const direction = syncDirection(source.location, target.location)
    const directed = (summary: SyncSummary) => ({...summary, direction})
    try {
      const summary = await progress.step(
        `Sync (${direction}) ${source.location} → ${target.location}`,
        (step) => {
          let done = 0
          let total = 0
          return syncStores({
            source,
            target,
            deletes: flags.delete ? (flags['delete-foreign'] ? 'all' : 'own') : 'none',
            force: flags.force,
            maxDelete: flags['max-delete'],
            filter: keyFilter(raw),
            dryRun: flags['dry-run'],
            onProgress: (event) => {
              if (event.type === 'planned') total = Object.values(event.counts).reduce((a, b) => a + b, 0)
              else step.update(`${++done}/${total} files, ${event.file.key}`)
            },
          })
        },
        (s) => syncLine(directed(s)),
      )
      this.show(directed(summary))
      return directed(summary)
    } catch (error) {
      if (error instanceof SyncError) this.show(directed(error.summary))
      this.fail((error as Error).message, error instanceof SyncError ? {summary: directed(error.summary)} : {})
    }
  }

  private show(summary: SyncSummary & {direction: SyncDirection}): void {
    if (!this.jsonEnabled()) this.log(renderSyncResult(summary, {color: useColor(process.stdout, process.env)}))
  }
}
