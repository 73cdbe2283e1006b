// The stores' bookkeeping under stress (issues 18, 19, 20, 21): parallel writers of one bucket,
// store-internal names in listings, stray keys, oversized manifests, the folder manifest's journal,
// the hash cache, damage that keeps the mtime, and symbolic links out of a folder store.
import {existsSync} from 'node:fs'
import {appendFile, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, utimes, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {buffer, text} from 'node:stream/consumers'

import {DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import t from 'tap'

import {fetchUpstream} from '../src/fetch/index.js'
import {FolderStore, JOURNAL_NAME, LOCK_NAME, MANIFEST_NAME} from '../src/stores/folder.js'
import {md5Hex} from '../src/stores/md5.js'
import {manifestFolderOf, S3Store} from '../src/stores/s3.js'
import {assertSafeKey, writeBatch} from '../src/stores/store.js'
import {syncStores} from '../src/sync/index.js'
import {transformStores} from '../src/transform/index.js'
import {mapLimit} from '../src/util/concurrency.js'
import {questStore} from './helpers/bls-files.js'
import {countRequests, startEmulator} from './helpers/fauxqs.js'
import {serveFiles, startUpstream} from './helpers/upstream.js'

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-internals-'))
const manifestText = async (s3: S3Client, bucket: string, key: string): Promise<string> =>
  text((await s3.send(new GetObjectCommand({Bucket: bucket, Key: key}))).Body as Readable)

t.test('S3 store', async (t) => {
  const emulator = await startEmulator(t)

  t.test('parallel writers of disjoint prefixes (the Map of fetch Lambdas) keep each other’s manifest entries', async (t) => {
    const bucket = await emulator.bucket()
    t.equal(manifestFolderOf('bls/pr/pr.series'), 'bls/pr/')
    t.equal(manifestFolderOf('bls/pr/deep/er/x'), 'bls/pr/')
    t.equal(manifestFolderOf('datausa/population.json'), 'datausa/')
    t.equal(manifestFolderOf('top'), '')
    const writer = async (keys: string[]): Promise<void> => {
      const store = new S3Store(emulator.s3, `s3://${bucket}/`)
      await writeBatch(store, () => mapLimit(keys, 4, (key) => store.write(key, key, {metadata: {from: key.split('/')[1]!}})))
    }
    const pr = Array.from({length: 12}, (_, i) => `bls/pr/pr.data.${i}`)
    const ce = Array.from({length: 12}, (_, i) => `bls/ce/ce.data.${i}`)
    // Both stores read their (absent) manifests, write, then save at the same moment.
    await Promise.all([writer(pr), writer(ce), writer(['datausa/population.json'])])
    const counts = countRequests(emulator.s3)
    const listed = await new S3Store(emulator.s3, `s3://${bucket}/`).list()
    t.equal(listed.length, 25)
    t.same(listed.find((object) => object.key === 'bls/ce/ce.data.3')?.metadata, {from: 'ce'})
    t.equal(counts.get('HeadObjectCommand'), undefined, 'no HEAD per object: every writer’s entries survived')
    t.equal(counts.get('GetObjectCommand'), 3, 'one manifest per survey folder and one for datausa/')
  })

  t.test('store-internal names and unsafe keys under the prefix are skipped, never copied', async (t) => {
    const bucket = await emulator.bucket()
    const warnings: string[] = []
    const source = new S3Store(emulator.s3, `s3://${bucket}/raw/`, {onWarning: (message) => warnings.push(message)})
    await writeBatch(source, () => source.write('bls/pr/pr.series', 'series'))
    for (const key of [`raw/${LOCK_NAME}`, 'raw/bls/.x.0123456789ab.tmp', `raw/bls/${MANIFEST_NAME}.damaged-2026`, 'raw/bls//pr.odd', 'raw/bls\\pr.win']) {
      await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: '{"pid": 1}'}))
    }
    t.same((await source.list()).map((object) => object.key), ['bls/pr/pr.series'])
    t.same(warnings, [
      `skipped s3://${bucket}/raw/bls//pr.odd: unsafe store key "bls//pr.odd": keys must be relative paths without '.', '..' or empty segments`,
      `skipped s3://${bucket}/raw/bls\\pr.win: unsafe store key "bls\\\\pr.win": keys must be relative paths without '.', '..' or empty segments`,
    ])
    // S3 → folder into a store whose writer holds its lock: the lock is not overwritten, the sync succeeds.
    const target = new FolderStore(await tempDir())
    const lock = await target.lockForWriting('fetch')
    const held = await readFile(path.join(target.root, LOCK_NAME), 'utf8')
    t.match(await syncStores({source, target}), {uploaded: 1, failed: 0})
    t.equal(await readFile(path.join(target.root, LOCK_NAME), 'utf8'), held, 'the live lock is intact')
    t.same((await target.list()).map((object) => object.key), ['bls/pr/pr.series'])
    lock.release()
    t.throws(() => assertSafeKey(`bls/${MANIFEST_NAME}`), {message: /the name is one dataquest keeps for its own bookkeeping/})
    await t.rejects(target.write('.x.0123456789ab.tmp', 'x'), {message: /^unsafe store key/})
  })

  t.test('stale entries are pruned; an oversized or unreadable manifest is rebuilt with a warning', async (t) => {
    const bucket = await emulator.bucket()
    const location = `s3://${bucket}/p/`
    const first = new S3Store(emulator.s3, location)
    await writeBatch(first, () => mapLimit(['a', 'b', 'c'], 3, (key) => first.write(key, key, {metadata: {k: key}})))
    await emulator.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: 'p/b'})) // deleted by someone else
    const pruning = new S3Store(emulator.s3, location)
    t.same((await pruning.list()).map((object) => object.key), ['a', 'c'])
    await pruning.flush()
    t.same(Object.keys(JSON.parse(await manifestText(emulator.s3, bucket, `p/${MANIFEST_NAME}`)).objects), ['a', 'c'], 'b pruned')

    const warnings: string[] = []
    const capped = new S3Store(emulator.s3, location, {maxManifestBytes: 64, onWarning: (message) => warnings.push(message)})
    const counts = countRequests(emulator.s3)
    t.same((await capped.list()).map((object) => [object.key, object.metadata]), [['a', {k: 'a'}], ['c', {k: 'c'}]], 'read by HEAD instead')
    t.equal(counts.get('HeadObjectCommand'), 2)
    t.match(warnings, [new RegExp(`^s3://${bucket}/p/${MANIFEST_NAME} is \\d+ bytes, over the cap of 64: ignored it`)])
    await capped.flush()
    t.match(warnings[1], /p\/\.dataquest-manifest\.json: 2 entries would take more than 64 bytes; not saved/, 'a manifest over the cap is not written')

    await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: `p/${MANIFEST_NAME}`, Body: '{"version": 1, "objects": [tru'}))
    const rebuilt = new S3Store(emulator.s3, location, {onWarning: (message) => warnings.push(message)})
    t.same((await rebuilt.list()).map((object) => object.key), ['a', 'c'])
    t.match(warnings[2], /is not JSON: .*ignored it \(each object is read by HEAD instead\); the next write rebuilds it$/)
    await rebuilt.flush()
    t.same(Object.keys(JSON.parse(await manifestText(emulator.s3, bucket, `p/${MANIFEST_NAME}`)).objects), ['a', 'c'], 'rebuilt')

    // The manifest an earlier version kept for the whole prefix: entries of deeper folders are dropped from it.
    await emulator.s3.send(
      new PutObjectCommand({Bucket: bucket, Key: `p/${MANIFEST_NAME}`, Body: JSON.stringify({version: 1, objects: {'x/y': {etag: 'e', size: 1, metadata: {}}}})}),
    )
    const legacy = new S3Store(emulator.s3, location)
    await legacy.list()
    await legacy.flush()
    t.same(Object.keys(JSON.parse(await manifestText(emulator.s3, bucket, `p/${MANIFEST_NAME}`)).objects), ['a', 'c'])
  })

  t.test('a listing below a manifest’s folder prunes none of its other entries', async (t) => {
    const bucket = await emulator.bucket()
    const writer = new S3Store(emulator.s3, `s3://${bucket}/`)
    await writeBatch(writer, () => mapLimit(['bls/pr/pr.series', 'bls/pr/old/pr.series'], 2, (key) => writer.write(key, key)))
    // Both keys are in bls/pr/'s manifest; a listing of bls/pr/old/ shows one of them.
    const deep = new S3Store(emulator.s3, `s3://${bucket}/`)
    t.same((await deep.list('bls/pr/old/')).map((object) => object.key), ['bls/pr/old/pr.series'])
    await deep.flush()
    t.same(Object.keys(JSON.parse(await manifestText(emulator.s3, bucket, `bls/pr/${MANIFEST_NAME}`)).objects), ['bls/pr/old/pr.series', 'bls/pr/pr.series'])
  })

  t.test('a dry run saves nothing, not even what its listing learnt or pruned', async (t) => {
    const bucket = await emulator.bucket()
    const target = new S3Store(emulator.s3, `s3://${bucket}/`)
    await writeBatch(target, () => mapLimit(['a', 'b'], 2, (key) => target.write(key, key)))
    await emulator.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: 'b'}))
    await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'c', Body: 'c'}))
    const source = new FolderStore(await tempDir())
    await source.write('a', 'a')
    const counts = countRequests(emulator.s3)
    t.match(await syncStores({source, target: new S3Store(emulator.s3, `s3://${bucket}/`), dryRun: true, force: true}), {unchanged: 1})
    t.equal(counts.get('PutObjectCommand'), undefined)
    t.same(Object.keys(JSON.parse(await manifestText(emulator.s3, bucket, MANIFEST_NAME)).objects), ['a', 'b'], 'as it was')
  })

  t.test('transform saves the processed store’s manifest: the next listing needs no HEAD', async (t) => {
    const bucket = await emulator.bucket()
    const processed = new S3Store(emulator.s3, `s3://${bucket}/processed/`)
    await transformStores({raw: await questStore(), processed})
    const counts = countRequests(emulator.s3)
    const written = await new S3Store(emulator.s3, `s3://${bucket}/processed/`).list()
    const reports = written.filter((object) => object.key.endsWith('.json'))
    t.equal(reports.length, 3)
    t.equal(counts.get('HeadObjectCommand'), undefined)
    const head = await emulator.s3.send(new HeadObjectCommand({Bucket: bucket, Key: `processed/${reports[0]!.key}`}))
    t.equal(head.ContentType, 'application/json', 'the caller said the type')
  })

  t.test('a batch that fails still saves what it wrote', async (t) => {
    const bucket = await emulator.bucket()
    const store = new S3Store(emulator.s3, `s3://${bucket}/`)
    await t.rejects(
      writeBatch(store, async () => {
        await store.write('kept', 'kept', {metadata: {k: 'v'}})
        throw new Error('the batch failed')
      }),
      {message: 'the batch failed'},
    )
    const counts = countRequests(emulator.s3)
    t.same(await new S3Store(emulator.s3, `s3://${bucket}/`).list(), [{key: 'kept', size: 4, md5: md5Hex('kept'), metadata: {k: 'v'}}])
    t.equal(counts.get('HeadObjectCommand'), undefined)
  })
})

t.test('folder store', async (t) => {
  t.test('copyFrom: each file read in one call and written as write does; one that changed since its listing fails alone', async (t) => {
    const source = new FolderStore(await tempDir())
    const target = new FolderStore(await tempDir())
    for (const [key, body] of Object.entries({'a/same': 'same', 'a/grew': 'grew', 'a/shrank': 'shrank', 'a/gone': 'gone', 'a/folder': 'folder', 'a/damaged': 'damaged'})) {
      await source.write(key, body)
    }
    await source.flush()
    const listed = new Map((await source.list()).map((object) => [object.key, object]))
    await writeFile(path.join(source.root, 'a/grew'), 'grew a lot since')
    await writeFile(path.join(source.root, 'a/shrank'), 'sh')
    await rm(path.join(source.root, 'a/gone'))
    await rm(path.join(source.root, 'a/folder'))
    await mkdir(path.join(source.root, 'a/folder'))
    // Outside the target through a link: refused before anything is read.
    const outside = await tempDir()
    await symlink(outside, path.join(target.root, 'linked'))
    await writeFile(path.join(source.root, 'linked-file'), 'x')
    const keys = ['a/same', 'a/grew', 'a/shrank', 'a/gone', 'a/folder', 'a/damaged']
    const requests = keys.map((key) => {
      const {size, md5} = listed.get(key)!
      // The plan knows no MD5 of a file the target lacks (not hashed while listing): the size tells.
      return {key, size, md5: key === 'a/damaged' ? md5Hex('other') : key === 'a/shrank' ? undefined : md5, options: {expectedSize: size, metadata: {from: key}}}
    })
    const outcomes = await target.copyFrom(source, [...requests, {key: 'linked/file', size: 1, options: {}}])
    await target.flush()
    const message = (outcome: unknown): string => (outcome as Error).message
    t.same(outcomes[0], {key: 'a/same', size: 4, md5: md5Hex('same'), metadata: {from: 'a/same'}})
    t.match(message(outcomes[1]), /^a\/grew: received 16 bytes, expected 4/, 'grew: its size now, not the byte more read')
    t.match(message(outcomes[2]), /^a\/shrank: received 2 bytes, expected 6/)
    t.match(outcomes[3], {name: 'NotFoundError'})
    t.match(outcomes[4], {name: 'NotFoundError'}, 'a folder in its place: not a file')
    t.match(outcomes[5], {name: 'ChecksumMismatchError'})
    t.match(message(outcomes[6]), /symbolic link .*outside the store/)
    t.same(await readdir(path.join(target.root, 'a')), ['same'], 'only the file that had not changed, and no temp file')
    t.same(await readdir(outside), [], 'nothing written through the link')
    t.same((await target.list()).map(({key, metadata}) => [key, metadata]), [['a/same', {from: 'a/same'}]], 'recorded with its metadata')
    // The journal unwritable once read: the files are in place, and each says it was not recorded.
    await rm(path.join(target.root, JOURNAL_NAME), {force: true})
    await mkdir(path.join(target.root, JOURNAL_NAME))
    const unrecorded = await target.copyFrom(source, [requests[0]!, {key: 'a/damaged', size: 7, options: {expectedSize: 7}}, requests[3]!])
    t.match(unrecorded, [{name: 'UnrecordedWriteError', message: /^a\/same: the new copy was written, but recording it failed/}, {name: 'UnrecordedWriteError'}, {name: 'NotFoundError'}])
    t.equal(await readFile(path.join(target.root, 'a/damaged'), 'utf8'), 'damaged', 'in place, as the message says')
  })

  t.test('writes append to a journal; flush folds it into the manifest; a killed writer’s journal is replayed', async (t) => {
    const root = await tempDir()
    const store = new FolderStore(root)
    await mapLimit(Array.from({length: 40}, (_, i) => i), 8, (i) => store.write(`f${i}`, `file ${i}`, {metadata: {n: String(i)}}))
    t.same((await readdir(root)).filter((name) => name.startsWith('.')), [JOURNAL_NAME], 'no manifest rewritten per file')
    const journal = (await readFile(path.join(root, JOURNAL_NAME), 'utf8')).trimEnd().split('\n')
    t.equal(journal.length, 40, 'one line per write')
    // Killed here (no flush), with a last line cut short: the next reader replays the rest.
    await appendFile(path.join(root, JOURNAL_NAME), '["f0", {"size": 1')
    const reader = new FolderStore(root)
    const listed = await reader.list()
    t.equal(listed.length, 40)
    t.same(listed.find((object) => object.key === 'f7'), {key: 'f7', size: 6, md5: md5Hex('file 7'), metadata: {n: '7'}})
    await store.delete('f1')
    await store.flush()
    t.same((await readdir(root)).filter((name) => name.startsWith('.')), [MANIFEST_NAME], 'folded in, journal gone')
    const manifest = JSON.parse(await readFile(path.join(root, MANIFEST_NAME), 'utf8'))
    t.equal(Object.keys(manifest).length, 39)
    t.same(Object.keys(manifest.f7).sort(), ['ctimeMs', 'ino', 'md5', 'metadata', 'mtimeMs', 'size'])
    await store.flush()
    t.same((await readdir(root)).filter((name) => name.startsWith('.')), [MANIFEST_NAME], 'nothing to fold: nothing written')
  })

  t.test('a flush while a write waits for its journal append: the write is folded in and settles', async (t) => {
    const root = await tempDir()
    const store = new FolderStore(root)
    const writing = store.write('late', 'x')
    // Microtasks only: the write gets as far as its journal line, whose append waits for the next turn.
    for (let i = 0; i < 100; i++) await null
    t.notOk(existsSync(path.join(root, JOURNAL_NAME)), 'not appended yet')
    await store.flush()
    await writing
    t.same((await readdir(root)).filter((name) => name.startsWith('.')), [MANIFEST_NAME], 'folded in, no journal')
    t.same(Object.keys(JSON.parse(await readFile(path.join(root, MANIFEST_NAME), 'utf8'))), ['late'])
    // The turn's append, once due, finds nothing left to do.
    await new Promise((resolve) => setImmediate(resolve))
    t.notOk(existsSync(path.join(root, JOURNAL_NAME)), 'nothing appended after the fold')
  })

  t.test('odd folders: removed behind its back, a file in the way, a manifest or journal that is a folder', async (t) => {
    const root = await tempDir()
    const store = new FolderStore(root)
    await store.write('d/x', 'x')
    await rm(path.join(root, 'd'), {recursive: true})
    await store.write('d/y', 'y')
    t.equal(await readFile(path.join(root, 'd/y'), 'utf8'), 'y', 'its folder made again')
    await t.rejects(store.write('d/y/z/w', 'w'), {code: 'ENOTDIR'})
    await rm(path.join(root, 'd/y'))
    await mkdir(path.join(root, 'd/y'))
    await t.rejects(new FolderStore(root).write('d/y', 'y'), {code: 'EISDIR'}, 'a folder where the file goes: not made a file')
    await rm(path.join(root, JOURNAL_NAME))
    await mkdir(path.join(root, JOURNAL_NAME))
    await writeFile(path.join(root, 'e'), 'by hand')
    await t.rejects(new FolderStore(root).stat('e'), {code: 'EISDIR'}, 'an unreadable journal is an error')
    const locking = new FolderStore(root)
    await t.rejects(locking.lockForWriting('fetch'), {code: 'EISDIR'})
    t.notOk((await readdir(root)).includes(LOCK_NAME), 'the lock is released when the manifest cannot be read')
  })

  t.test('a journal that outgrows the manifest is folded in during the run', async (t) => {
    const root = await tempDir()
    const store = new FolderStore(root)
    for (let i = 0; i < 1002; i++) await store.write('same', String(i))
    t.ok((await readdir(root)).includes(MANIFEST_NAME), 'folded once past 1,000 lines')
    t.ok((await readFile(path.join(root, JOURNAL_NAME), 'utf8')).split('\n').length < 10, 'the journal started again')
  })

  t.test('damaged in place with its mtime kept: the ctime gives it away, and fetch downloads it again', async (t) => {
    const upstream = await startUpstream(t)
    const files = {'pr.series': 'series_id\r\nPRS1\r\n', 'pr.txt': 'about pr\r\n'}
    serveFiles(upstream, files)
    const root = await tempDir()
    const options = {contact: 'me@example.com', version: 't', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl, population: false}
    t.match(await fetchUpstream({...options, store: new FolderStore(root)}), {added: 2})
    const file = path.join(root, 'bls/pr/pr.series')
    const {atime, mtime} = await stat(file)
    await writeFile(file, 'XXXXXX_XX\r\nPRS1\r\n') // same size
    await utimes(file, atime, mtime)
    const summary = await fetchUpstream({...options, store: new FolderStore(root)})
    t.match(summary, {replaced: 1, unchanged: 1})
    t.equal(await readFile(file, 'utf8'), files['pr.series'], 'repaired')
    const forced = await fetchUpstream({...options, store: new FolderStore(root), force: true})
    t.match(forced, {replaced: 2, unchanged: 0}, '--force downloads every file again')
    t.ok(forced.files.every((result) => result.reason === 'forced (--force)'))
  })

  t.test('a listing name the store keeps for itself is skipped with a warning, not "added" on every run', async (t) => {
    const upstream = await startUpstream(t)
    serveFiles(upstream, {'pr.txt': 'about pr\r\n', [MANIFEST_NAME]: '{}', '.x.0123456789ab.tmp': 'x'})
    const root = await tempDir()
    const options = {store: new FolderStore(root), contact: 'me@example.com', version: 't', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl, population: false}
    const summary = await fetchUpstream(options)
    t.match(summary, {added: 1, failed: 0})
    t.match(summary.warnings, [/^skipped \.dataquest-manifest\.json in the listing of survey pr: unsafe store key/, /^skipped \.x\.0123456789ab\.tmp in the listing/])
    t.match(await fetchUpstream({...options, store: new FolderStore(root)}), {added: 0, unchanged: 1})
  })

  t.test('a folder that is a symbolic link out of the store is refused; one that stays inside is fine', async (t) => {
    const root = await tempDir()
    const outside = await tempDir()
    await mkdir(path.join(root, 'bls'))
    await symlink(outside, path.join(root, 'bls/pr'))
    const store = new FolderStore(root)
    await t.rejects(store.write('bls/pr/pr.series', 'x'), {
      message: `bls/pr/pr.series: ${path.join(root, 'bls/pr')} is a symbolic link to ${await realpath(outside)}, outside the store ${root}; refusing to write through it (replace the link with a folder)`,
    })
    await t.rejects(store.delete('bls/pr/pr.series'), {message: /is a symbolic link to/})
    t.same(await readdir(outside), [], 'nothing written outside')
    await mkdir(path.join(root, 'real'))
    await symlink(path.join(root, 'real'), path.join(root, 'inside'))
    await store.write('inside/x', 'x')
    t.equal(await readFile(path.join(root, 'real/x'), 'utf8'), 'x')
  })

  t.test('the hash cache: a folder made by hand is hashed once; a change that keeps the mtime is still caught', async (t) => {
    const root = await tempDir()
    const cache = await tempDir()
    const old = new Date(Date.now() - 60_000)
    for (const name of ['a', 'b', 'sub/c']) {
      await mkdir(path.dirname(path.join(root, name)), {recursive: true})
      await writeFile(path.join(root, name), `content ${name}`)
      await utimes(path.join(root, name), old, old)
    }
    await writeFile(path.join(root, 'fresh'), 'just written') // racy: hashed, not cached
    t.same((await new FolderStore(root, {hashCache: cache}).list()).map((object) => object.md5), ['a', 'b', 'fresh', 'sub/c'].map((name) => md5Hex(name === 'fresh' ? 'just written' : `content ${name}`)))
    const [cacheFile] = await readdir(cache)
    const cached = JSON.parse(await readFile(path.join(cache, cacheFile!), 'utf8'))
    t.same(Object.keys(cached.entries).sort(), ['a', 'b', 'sub/c'])
    // Prove the next listing reads the cache, not the files: a cached MD5 changed by hand is believed.
    cached.entries.a.md5 = md5Hex('believed')
    await writeFile(path.join(cache, cacheFile!), JSON.stringify(cached))
    const second = await new FolderStore(root, {hashCache: cache}).list()
    t.equal(second[0]?.md5, md5Hex('believed'), 'not hashed again')
    // The same size and mtime, other bytes: the ctime moved, so it is hashed.
    await writeFile(path.join(root, 'b'), 'CONTENT b')
    await utimes(path.join(root, 'b'), old, old)
    t.equal((await new FolderStore(root, {hashCache: cache}).stat('b'))?.md5, md5Hex('CONTENT b'))
    t.equal((await new FolderStore(root, {hashCache: cache}).list())[1]?.md5, md5Hex('CONTENT b'))
    // A whole listing forgets files that are gone; an unreadable cache is an empty one.
    await rm(path.join(root, 'sub'), {recursive: true})
    await new FolderStore(root, {hashCache: cache}).list()
    t.same(Object.keys(JSON.parse(await readFile(path.join(cache, cacheFile!), 'utf8')).entries).sort(), ['a', 'b'])
    await writeFile(path.join(cache, cacheFile!), '{broken')
    t.equal((await new FolderStore(root, {hashCache: cache}).list())[0]?.md5, md5Hex('content a'))
    // A cache that cannot be saved (its folder would be inside a file) costs hashing, not the listing.
    const blocked = path.join(cache, cacheFile!, 'cache')
    t.equal((await new FolderStore(root, {hashCache: blocked}).list())[0]?.md5, md5Hex('content a'))
    t.same(await readdir(cache), [cacheFile], 'nothing saved')
  })

  t.test('the same bytes with a new stamp (touched) keep their metadata', async (t) => {
    const root = await tempDir()
    const store = new FolderStore(root)
    await writeBatch(store, () => store.write('k', 'same', {metadata: {k: 'v'}}))
    const later = new Date(Date.now() + 5000)
    await utimes(path.join(root, 'k'), later, later)
    t.same(await new FolderStore(root).stat('k'), {key: 'k', size: 4, md5: md5Hex('same'), metadata: {k: 'v'}})
    const writer = new FolderStore(root)
    const lock = await writer.lockForWriting('sync')
    t.same((await writer.list())[0]?.metadata, {k: 'v'})
    await writer.flush()
    lock.release()
    t.equal(JSON.parse(await readFile(path.join(root, MANIFEST_NAME), 'utf8')).k.mtimeMs, (await stat(path.join(root, 'k'))).mtimeMs, 'the writer recorded the new stamp')
    t.equal((await buffer(await store.read('k'))).toString(), 'same')
  })
})
