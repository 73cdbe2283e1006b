import {mkdir, mkdtemp, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {buffer} from 'node:stream/consumers'

import {GetObjectCommand, HeadObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'

import t from 'tap'

import Sync from '../src/commands/sync.js'
import {fetchUpstream} from '../src/fetch/index.js'
import {FolderStore, MANIFEST_NAME} from '../src/stores/folder.js'
import {md5Hex} from '../src/stores/md5.js'
import {openStore} from '../src/stores/open.js'
import {LEGACY_MD5_METADATA_KEY, S3Store} from '../src/stores/s3.js'
import type {Store} from '../src/stores/store.js'
import {GuardError} from '../src/mirror/guard.js'
import {WRITER_META} from '../src/mirror/metadata.js'
import {SyncError, type SyncEvent, syncStores} from '../src/sync/index.js'
import {planSync} from '../src/sync/plan.js'
import {mapLimit} from '../src/util/concurrency.js'
import {runCommand} from './helpers/cli.js'
import {serveFiles, startUpstream} from './helpers/upstream.js'
import {countRequests, startEmulator} from './helpers/fauxqs.js'

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-sync-'))
const MiB = 1024 * 1024
/** The mark sync adds to the metadata of what it writes. */
const MARK = {[WRITER_META.key]: WRITER_META.value}
const content = async (store: Store, key: string): Promise<string> => (await buffer(await store.read(key))).toString()

/** A folder store holding a few files, one with source metadata. */
async function sourceFolder(): Promise<FolderStore> {
  const store = new FolderStore(await tempDir())
  await store.write('bls/pr/pr.txt', 'Productivity\r\n', {metadata: {'source-size': '14', 'source-date': '2024-06-06T08:30'}})
  await store.write('bls/pr/pr.series', 'series_id\r\n')
  await store.write('datausa/population.json', '{"data": []}\n')
  return store
}

t.test('folder → S3 twice: the second run uploads nothing; metadata travels', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const source = await sourceFolder()
  const target = openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint})
  const events: SyncEvent[] = []
  const first = await syncStores({source, target, onProgress: (event) => events.push(event)})
  t.match(first, {uploaded: 3, deleted: 0, unchanged: 0, bytes: 14 + 11 + 13, errors: []})
  t.same(events[0], {type: 'planned', counts: {upload: 3, delete: 0, unchanged: 0, keep: 0, exclude: 0}})
  t.equal(await content(target, 'bls/pr/pr.txt'), 'Productivity\r\n')
  t.same((await target.stat('bls/pr/pr.txt'))?.metadata, {'source-size': '14', 'source-date': '2024-06-06T08:30', ...MARK})

  const second = await syncStores({source, target})
  t.match(second, {uploaded: 0, deleted: 0, unchanged: 3, bytes: 0})

  t.test('a changed and a deleted file', async (t) => {
    await source.write('bls/pr/pr.series', 'series_id\tsector\r\n')
    await source.delete('datausa/population.json')
    await source.write('bls/pr/pr.class', 'c\r\n')
    await source.write('bls/pr/pr.footnote', 'f\r\n')
    const summary = await syncStores({source, target})
    t.match(summary, {uploaded: 3, deleted: 1, unchanged: 1})
    t.match(summary.files.find((file) => file.key === 'bls/pr/pr.series'), {action: 'upload', reason: /content differs/})
    t.equal(await target.stat('datausa/population.json'), undefined)
    t.equal(await content(target, 'bls/pr/pr.series'), 'series_id\tsector\r\n')
  })

  t.test('the command: --bucket, --dry-run, --json, --no-delete', async (t) => {
    const env = {AWS_ENDPOINT_URL: emulator.endpoint, DATAQUEST_BUCKET: undefined}
    await writeFile(path.join(source.root, 'extra.txt'), 'x')
    const dry = await runCommand(Sync, ['--from', source.root, '--bucket', bucket, '--dry-run', '--json'], env)
    t.equal(dry.exitCode, 0)
    t.match(JSON.parse(dry.stdout), {dryRun: true, uploaded: 1, bytes: 0, to: `s3://${bucket}/raw/`})
    t.equal(await target.stat('extra.txt'), undefined, 'dry run wrote nothing')

    await target.write('target-only.txt', 'y')
    const kept = await runCommand(Sync, ['--from', source.root, '--to', `s3://${bucket}/raw/`, '--no-delete'], env)
    t.equal(kept.exitCode, 0)
    t.match(kept.stdout, /upload\s+extra\.txt\s+not in the target/)
    t.match(kept.stdout, /kept \(--no-delete\)\s+1/)
    t.match(kept.stderr, /✔ Sync .* — 1 uploaded, 0 deleted/)
    t.ok(await target.stat('target-only.txt'), 'kept')

    // Not written by dataquest: kept, and said so, unless --delete-foreign.
    const foreign = await runCommand(Sync, ['--from', source.root], {...env, DATAQUEST_BUCKET: bucket})
    t.equal(foreign.exitCode, 0)
    t.match(foreign.stdout, /keep\s+target-only\.txt\s+not in the source; not written by dataquest/)
    t.match(foreign.stdout, /kept not written by dataquest\s+1/)
    t.match(foreign.stderr, /; kept 1 not written by dataquest/)
    t.ok(await target.stat('target-only.txt'), 'kept')
    const deleted = await runCommand(Sync, ['--from', source.root, '--delete-foreign'], {...env, DATAQUEST_BUCKET: bucket})
    t.equal(deleted.exitCode, 0)
    t.match(deleted.stdout, /delete\s+target-only\.txt\s+not in the source/)
    t.equal(await target.stat('target-only.txt'), undefined)
  })
})

t.test('a multipart object is compared by the MD5 in the manifest', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const source = new FolderStore(await tempDir())
  const body = Buffer.alloc(5 * MiB + 3, 'a')
  await source.write('big.bin', body, {metadata: {'source-size': String(body.length)}})
  const target = new S3Store(emulator.s3, `s3://${bucket}/raw/`, {partSize: 5 * MiB})
  t.match(await syncStores({source, target}), {uploaded: 1, bytes: body.length})
  t.equal((await new S3Store(emulator.s3, `s3://${bucket}/raw/`).stat('big.bin'))?.md5, md5Hex(body), 'the manifest was saved')
  t.match(await syncStores({source, target: new S3Store(emulator.s3, `s3://${bucket}/raw/`)}), {uploaded: 0, unchanged: 1}, 'not uploaded again')

  const back = new FolderStore(await tempDir())
  t.match(await syncStores({source: target, target: back}), {uploaded: 1})
  t.same((await back.stat('big.bin'))?.metadata, {'source-size': String(body.length), ...MARK})
  t.ok((await readFile(path.join(back.root, 'big.bin'))).equals(body))

  t.test('re-uploaded behind its back with the same metadata and MD5 claim: not "unchanged", the new bytes copied', async (t) => {
    const other = Buffer.alloc(5 * MiB + 3, 'b')
    const metadata = {'source-size': String(body.length), [LEGACY_MD5_METADATA_KEY]: md5Hex(body)}
    await new S3Store(emulator.s3, `s3://${bucket}/raw/`, {partSize: 5 * MiB}).write('big.bin', other, {metadata}) // no flush: the manifest still vouches for the old ETag
    const summary = await syncStores({source: new S3Store(emulator.s3, `s3://${bucket}/raw/`), target: back})
    t.match(summary.files, [{key: 'big.bin', action: 'upload', reason: 'MD5 unknown on one side'}])
    t.ok((await readFile(path.join(back.root, 'big.bin'))).equals(other))
    t.same((await back.stat('big.bin'))?.metadata, {'source-size': String(body.length), ...MARK}, 'the untrusted claim does not travel')
  })
})

t.test('verify what you read: bytes that differ from the MD5 the store vouched for are refused, naming the key', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const s3 = new S3Store(emulator.s3, `s3://${bucket}/raw/`, {partSize: 5 * MiB})
  await syncStores({source: await sourceFolder(), target: s3})
  const big = Buffer.alloc(5 * MiB + 1, 'g')
  await s3.write('big.bin', big)
  await s3.flush()
  const folder = new FolderStore(await tempDir())
  await syncStores({source: s3, target: folder})

  // A damaged manifest that vouches for other bytes than the multipart object holds.
  const manifestKey = `raw/${MANIFEST_NAME}`
  const manifest = JSON.parse(String(await buffer((await emulator.s3.send(new GetObjectCommand({Bucket: bucket, Key: manifestKey}))).Body as Readable)))
  manifest.objects['big.bin'].md5 = md5Hex('other bytes')
  await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: manifestKey, Body: JSON.stringify(manifest)}))
  await folder.delete('big.bin')
  await folder.write('big.bin', 'previous')
  const refused = (await syncStores({source: new S3Store(emulator.s3, `s3://${bucket}/raw/`), target: folder}).catch((caught: unknown) => caught)) as SyncError
  t.type(refused, SyncError)
  t.match(refused.message, `big.bin: the bytes read have MD5 ${md5Hex(big)}, but the store recorded ${md5Hex('other bytes')}`)
  t.equal(await content(folder, 'big.bin'), 'previous', 'the target copy was kept')
  await folder.delete('big.bin')

  // A folder file changed in place, keeping its size and mtime: the manifest still vouches for the old MD5.
  const file = path.join(folder.root, 'bls/pr/pr.series')
  await writeFile(file, 'SERIES_ID\r\n')
  // As on a file system with coarse timestamps: the manifest's size and mtime still match the file.
  const manifestFile = path.join(folder.root, MANIFEST_NAME)
  await folder.flush()
  const entries = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, {mtimeMs: number; ino: number; ctimeMs: number}>
  // Bit rot: not even the ctime moved (a change made through the file system would move it, and be hashed).
  const {mtimeMs, ino, ctimeMs} = await stat(file)
  Object.assign(entries['bls/pr/pr.series']!, {mtimeMs, ino, ctimeMs})
  await writeFile(manifestFile, JSON.stringify(entries))
  const target = new FolderStore(await tempDir())
  await target.write('bls/pr/pr.series', 'kept\r\n')
  const error = (await syncStores({source: new FolderStore(folder.root), target}).catch((caught: unknown) => caught)) as SyncError
  t.type(error, SyncError)
  t.match(error.message, /^bls\/pr\/pr\.series: the bytes read have MD5 [0-9a-f]{32}, but the store recorded [0-9a-f]{32} .*previous copy was kept$/)
  t.match(error.summary, {uploaded: 2, failed: 1})
  t.equal(await content(target, 'bls/pr/pr.series'), 'kept\r\n', 'nothing written')
  t.notOk((await readdir(path.join(target.root, 'bls/pr'))).some((name) => name.endsWith('.tmp')), 'no temp file left')
  // The same to S3 (a small file read whole, not copied folder to folder): refused alike.
  const toS3 = new S3Store(emulator.s3, `s3://${bucket}/bitrot/`)
  await toS3.write('bls/pr/pr.series', 'kept\r\n')
  const refusedUp = (await syncStores({source: new FolderStore(folder.root), target: toS3}).catch((caught: unknown) => caught)) as SyncError
  t.match(refusedUp.message, /^bls\/pr\/pr\.series: the bytes read have MD5 [0-9a-f]{32}, but the store recorded [0-9a-f]{32} .*previous copy was kept$/)
  t.equal(await content(toS3, 'bls/pr/pr.series'), 'kept\r\n', 'nothing uploaded')
})

t.test('an unchanged folder → S3 sync costs LIST pages and the manifest, no HEAD per object', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const source = new FolderStore(await tempDir())
  await mapLimit(Array.from({length: 21}, (_, i) => i), 16, (i) => source.write(`bls/xx/f${i}`, `file ${i}\n`, {metadata: {'source-size': String(i)}}))
  // Pages of 10 keys: 21 objects page as 2,001 would at S3's 1,000.
  const target = (): S3Store => new S3Store(emulator.s3, `s3://${bucket}/raw/`, {listPageSize: 10})
  t.match(await syncStores({source, target: target()}), {uploaded: 21})
  const counts = countRequests(emulator.s3)
  t.match(await syncStores({source, target: target()}), {uploaded: 0, unchanged: 21})
  t.same(Object.fromEntries(counts), {ListObjectsV2Command: 3, GetObjectCommand: 1})
  t.same((await target().stat('bls/xx/f7'))?.metadata, {'source-size': '7', ...MARK})
  const type = await emulator.s3.send(new HeadObjectCommand({Bucket: bucket, Key: 'raw/bls/xx/f7'}))
  t.equal(type.ContentType, 'text/plain', 'BLS files are text')
})

t.test('S3 → folder and folder → folder', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const s3 = openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint})
  await syncStores({source: await sourceFolder(), target: s3})
  const folder = new FolderStore(await tempDir())
  t.match(await syncStores({source: s3, target: folder}), {uploaded: 3})
  t.equal(await content(folder, 'bls/pr/pr.txt'), 'Productivity\r\n')
  t.same((await folder.stat('bls/pr/pr.txt'))?.metadata, {'source-size': '14', 'source-date': '2024-06-06T08:30', ...MARK})
  t.match(await syncStores({source: s3, target: folder}), {unchanged: 3})

  const copy = new FolderStore(await tempDir())
  const result = await runCommand(Sync, ['--from', folder.root, '--to', copy.root, '--json'])
  t.match(JSON.parse(result.stdout), {uploaded: 3, direction: 'copy'})
  const down = await runCommand(Sync, ['--from', `s3://${bucket}/raw/`, '--to', await tempDir()], {AWS_ENDPOINT_URL: emulator.endpoint})
  t.match(down.stdout, /^downloaded +3$/m, 'S3 → folder says downloaded')
  t.match(down.stderr, /Sync \(download\) .* — 3 downloaded/)
  const again = await runCommand(Sync, ['--from', folder.root, '--to', copy.root])
  t.match(again.stdout, /unchanged\s+3/)
  t.notMatch(again.stdout, /action/, 'no file table when nothing changed')
})

t.test('a source file the target lacks is not hashed while listing: it is read once, when copied', async (t) => {
  const source = new FolderStore(await tempDir())
  await source.write('old.txt', 'in both')
  await source.write('new.txt', 'only here')
  const target = new FolderStore(await tempDir())
  await target.write('old.txt', 'in both')
  let asked: ((key: string) => boolean | Promise<boolean>) | undefined
  const watched: Store = {
    location: source.location,
    list: (prefix, options) => ((asked = options?.hash), source.list(prefix, options)),
    stat: (key, options) => source.stat(key, options),
    read: (key) => source.read(key),
    reader: (key) => source.reader(key),
    write: (key, body, options) => source.write(key, body, options),
    delete: (key) => source.delete(key),
    flush: () => source.flush(),
  }
  t.match(await syncStores({source: watched, target}), {uploaded: 1, unchanged: 1})
  t.equal(await asked?.('old.txt'), true, 'on both sides: hashed, to compare')
  t.equal(await asked?.('new.txt'), false, 'on the source alone: copied without a listing hash')
  t.equal(await content(target, 'new.txt'), 'only here')
})

t.test('deletion guard: an empty source or deleting more than half changes nothing', async (t) => {
  const target = await sourceFolder()
  const empty = new FolderStore(await tempDir())
  await t.rejects(syncStores({source: empty, target, deletes: 'all'}), GuardError)
  t.equal((await target.list()).length, 3)
  const one = new FolderStore(await tempDir())
  await one.write('bls/pr/pr.txt', 'Productivity\r\n')
  // Two of the three were not written by dataquest: only --delete-foreign (deletes: 'all') would delete them.
  await t.rejects(syncStores({source: one, target, deletes: 'all'}), /would delete 2 of the 3 stored files/)
  t.match(await syncStores({source: one, target, deletes: 'none'}), {unchanged: 1, kept: 2, deleted: 0})
  const result = await runCommand(Sync, ['--from', one.root, '--to', target.root, '--delete-foreign'])
  t.equal(result.exitCode, 1)
  t.match(result.stderr, /more than half.*force/)
  t.match(await syncStores({source: one, target, force: true, deletes: 'all'}), {deleted: 2})
  t.same((await target.list()).map((o) => o.key), ['bls/pr/pr.txt'])
})

t.test('deletion guard weighs bytes: deleting one big file of three is refused', async (t) => {
  const target = new FolderStore(await tempDir())
  await target.write('bls/pr/pr.data.0.Current', 'x'.repeat(1000))
  await target.write('bls/pr/pr.series', 'series')
  await target.write('bls/pr/pr.txt', 'txt')
  const source = new FolderStore(await tempDir())
  await source.write('bls/pr/pr.series', 'series')
  await source.write('bls/pr/pr.txt', 'txt')
  await t.rejects(syncStores({source, target, deletes: 'all'}), {name: 'GuardError', message: /would delete 1000 of the 1009 stored bytes \(more than half, in 1 of 3 files\)/})
  t.equal((await target.list()).length, 3)
  t.match(await syncStores({source, target, force: true, deletes: 'all'}), {deleted: 1, unchanged: 2})
})

t.test('a failing copy keeps the target copy and names the file', async (t) => {
  const source = await sourceFolder()
  const target = new FolderStore(await tempDir())
  // A folder where the file should go: the rename onto it fails, a real I/O error.
  await mkdir(path.join(target.root, 'bls/pr/pr.txt/inner'), {recursive: true})
  const error = (await syncStores({source, target}).catch((caught: unknown) => caught)) as SyncError
  t.type(error, SyncError)
  t.match(error.message, /^bls\/pr\/pr\.txt: .*(EISDIR|ENOTEMPTY|EEXIST).*previous copy was kept$/)
  t.match(error.summary, {uploaded: 2, failed: 1})

  const cli = await runCommand(Sync, ['--from', source.root, '--to', target.root])
  t.equal(cli.exitCode, 1)
  t.match(cli.stdout, /copy FAILED\s+bls\/pr\/pr\.txt/, 'the summary still shows what happened')
  t.match(cli.stderr, /bls\/pr\/pr\.txt: .*previous copy was kept/)

  const dry = await runCommand(Sync, ['--from', source.root, '--to', target.root, '--dry-run'])
  t.match(dry.stdout, /sync plan \(dry run\)/)
  t.match(dry.stdout, /would copy\s+bls\/pr\/pr\.txt\s+not in the target/)
  t.match(dry.stdout, /^would copy +\d+$/m)

  const result = await runCommand(Sync, ['--from', source.root, '--to', source.root])
  t.equal(result.exitCode, 2, 'a usage mistake')
  t.match(result.stderr, /--from and --to are the same store/)
  const none = await runCommand(Sync, ['--from', source.root], {DATAQUEST_BUCKET: undefined})
  t.equal(none.exitCode, 2)
  t.match(none.stderr, /sync needs a target: --to LOC, or --bucket NAME/)
})

t.test('fetch into S3: true content types, and the population carries its source', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const store = new S3Store(emulator.s3, `s3://${bucket}/raw/`)
  await fetchUpstream({store, contact: 'me@example.com', version: 'test', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl})
  const head = (key: string) => emulator.s3.send(new HeadObjectCommand({Bucket: bucket, Key: `raw/${key}`}))
  t.equal((await head('bls/pr/pr.series')).ContentType, 'text/plain')
  const population = await head('datausa/population.json')
  t.equal(population.ContentType, 'application/json')
  t.same(population.Metadata, {'source-url': upstream.populationUrl})
  const counts = countRequests(emulator.s3)
  await fetchUpstream({store: new S3Store(emulator.s3, `s3://${bucket}/raw/`), contact: 'me@example.com', version: 'test', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl})
  t.same(Object.fromEntries(counts), {ListObjectsV2Command: 2, GetObjectCommand: 2}, 'an unchanged fetch: a listing and a manifest per folder (bls/pr/, datausa/), no HEAD')
})

t.test('planSync compares MD5s only', async (t) => {
  const object = (key: string, md5?: string) => ({key, size: 1, md5, metadata: {}})
  t.match(planSync([object('a', 'x')], [object('a')]).files, [{action: 'replace', reason: 'MD5 unknown on one side'}])
  t.match(planSync([object('a', 'x')], [object('a', 'x')]).files, [{action: 'unchanged', reason: 'same MD5'}])
  t.notOk(planSync([], [object('a', 'x')], {deletes: 'none'}).refusal, 'no guard without deletions')
  t.same(planSync([], []), {files: []}, 'empty to empty is no error')
  t.match(planSync([], [object('a', 'x')], {deletes: 'all'}).refusal, {reason: /the source yields no files/, forcible: true})
})
