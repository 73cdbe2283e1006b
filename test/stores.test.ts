import {mkdir, mkdtemp, readFile, readdir, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {buffer, text} from 'node:stream/consumers'

import {DeleteBucketCommand, DeleteObjectCommand, HeadObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import t, {type Test} from 'tap'

import {FolderStore, MANIFEST_NAME} from '../src/stores/folder.js'
import {md5Hex} from '../src/stores/md5.js'
import {openStore} from '../src/stores/open.js'
import {runInterruptCleanups} from '../src/stores/cleanup.js'
import {LEGACY_MD5_METADATA_KEY, parseS3Location, S3Store} from '../src/stores/s3.js'
import {assertSafeKey, NotFoundError, SizeMismatchError, readWhole, type Store, streamReader} from '../src/stores/store.js'
import {Limiter, mapLimit} from '../src/util/concurrency.js'
import {countRequests, startEmulator} from './helpers/fauxqs.js'

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-test-'))
const MiB = 1024 * 1024

function* chunks(body: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size)
}

/** The behaviour every store must share, run against each implementation. */
async function contract(t: Test, store: Store): Promise<void> {
  t.same(await store.list(), [], 'starts empty')
  t.equal(await store.stat('a/b.txt'), undefined)
  await t.rejects(store.read('a/b.txt'), NotFoundError)

  const written = await store.write('a/b.txt', 'hello', {metadata: {'source-size': '5'}})
  t.equal(written.md5, md5Hex('hello'))
  await store.write('a/c.txt', Readable.from([Buffer.from('wor'), Buffer.from('ld')]))
  await store.write('z.txt', new Uint8Array([1, 2, 3]))

  const listed = await store.list('a/')
  t.same(listed.map((o) => o.key), ['a/b.txt', 'a/c.txt'])
  t.same(listed[0], {key: 'a/b.txt', size: 5, md5: md5Hex('hello'), metadata: {'source-size': '5'}})
  t.equal(listed[1]?.md5, md5Hex('world'))

  // A reader fills the caller's memory from its start, a few bytes at a time if it is small, then says 0.
  await t.rejects(store.reader('a/missing.txt'), NotFoundError)
  const reader = await store.reader('a/c.txt')
  const into = new Uint8Array(3)
  const parts: string[] = []
  for (let read; (read = await reader.read(into)) > 0; ) parts.push(Buffer.from(into.subarray(0, read)).toString())
  await reader.close()
  await reader.close() // a second close does nothing
  t.equal(parts.join(''), 'world')
  t.ok(parts.every((part) => part.length <= 3), 'no read overfills the buffer')
  t.equal(await text(await store.read('a/c.txt')), 'world')

  // A short body is refused and the previous object stays.
  await t.rejects(store.write('a/b.txt', 'hell', {expectedSize: 5}), SizeMismatchError)
  t.equal(await text(await store.read('a/b.txt')), 'hello')
  // A failing stream is refused too.
  const failing = new Readable({
    read() {
      this.push('partial')
      this.destroy(new Error('connection reset'))
    },
  })
  await t.rejects(store.write('a/b.txt', failing), /connection reset/)
  t.equal(await text(await store.read('a/b.txt')), 'hello')

  await store.delete('a/b.txt')
  t.same((await store.list()).map((o) => o.key), ['a/c.txt', 'z.txt'])
  t.throws(() => assertSafeKey('../x'))
  await t.rejects(store.write('../escape', 'x'), /unsafe store key/)
}

t.test('folder store', async (t) => {
  const root = await tempDir()
  const store = new FolderStore(root)
  await contract(t, store)
  await store.flush()
  const files = await readdir(root)
  t.notOk(files.some((f) => f.endsWith('.tmp')), 'no temp files left behind')
  const manifest = JSON.parse(await readFile(path.join(root, MANIFEST_NAME), 'utf8'))
  t.same(Object.keys(manifest), ['a/c.txt', 'z.txt'])

  // A file changed behind the store's back is re-hashed and its metadata dropped.
  await store.write('m.txt', 'one', {metadata: {k: 'v'}})
  await writeFile(path.join(root, 'm.txt'), 'two!')
  t.same(await new FolderStore(root).stat('m.txt'), {key: 'm.txt', size: 4, md5: md5Hex('two!'), metadata: {}})

  // A corrupt manifest costs only re-hashing.
  await writeFile(path.join(root, MANIFEST_NAME), '{not json')
  t.equal((await new FolderStore(root).stat('z.txt'))?.md5, md5Hex(new Uint8Array([1, 2, 3])))
  t.same(await new FolderStore(path.join(root, 'missing')).list(), [])

  // Chunks of the size asked for, 16 KiB by default.
  await store.write('chunks.bin', Buffer.alloc(40 * 1024, 7))
  const sizes = async (stream: Readable): Promise<number[]> => (await stream.toArray()).map((chunk: Buffer) => chunk.length)
  t.same(await sizes(await store.read('chunks.bin')), [16384, 16384, 8192])
  t.same(await sizes(await store.read('chunks.bin', {chunkBytes: 32 * 1024})), [32768, 8192])
})

t.test('S3 store against fauxqs', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  await contract(t, openStore(`s3://${bucket}/raw`, {endpoint: emulator.endpoint}))

  t.test('multipart uploads stream, and their MD5 lives in the manifest', async (t) => {
    const store = new S3Store(emulator.s3, `s3://${bucket}/big/`, {partSize: 5 * MiB})
    const body = Buffer.alloc(11 * MiB + 7, 'x')
    // In 64 KiB chunks, as a download arrives: the parts are cut from the stream as they fill.
    const written = await store.write('big.bin', Readable.from(chunks(body, 64 * 1024)), {metadata: {'source-size': String(body.length)}})
    t.equal(written.md5, md5Hex(body))
    const head = await emulator.s3.send(new HeadObjectCommand({Bucket: bucket, Key: 'big/big.bin'}))
    t.match(head.ETag, /-3"?$/, 'really a three-part upload: its ETag is not an MD5')
    t.equal(head.Metadata?.[LEGACY_MD5_METADATA_KEY], undefined, 'no MD5 claim in the metadata')
    await store.flush()
    const [listed] = await new S3Store(emulator.s3, `s3://${bucket}/big/`).list()
    t.same(listed, {key: 'big.bin', size: body.length, md5: md5Hex(body), metadata: {'source-size': String(body.length)}})
    t.equal((await new S3Store(emulator.s3, `s3://${bucket}/big/`).stat('big.bin'))?.md5, md5Hex(body), 'stat reads it from the manifest too')
  })

  t.test('a streamed upload that fails, ends short or runs long aborts, and the previous object stays', async (t) => {
    const store = new S3Store(emulator.s3, `s3://${bucket}/abort/`, {partSize: 5 * MiB})
    const previous = Buffer.alloc(10 * MiB, 'p') // two whole parts, no short last one
    await store.write('big.bin', previous)
    const counts = countRequests(emulator.s3)
    const body = Buffer.alloc(12 * MiB, 'n')
    await t.rejects(store.write('big.bin', body, {expectedSize: body.length + 1}), SizeMismatchError)
    await t.rejects(store.write('big.bin', body, {expectedSize: body.length - 1}), SizeMismatchError)
    const failing = Readable.from(
      (async function* () {
        yield* chunks(body.subarray(0, 11 * MiB), MiB)
        throw new Error('connection reset')
      })(),
    )
    await t.rejects(store.write('big.bin', failing), /connection reset/)
    t.equal(counts.get('CompleteMultipartUploadCommand'), undefined, 'no upload completed')
    t.equal(counts.get('AbortMultipartUploadCommand'), 3, 'each was aborted')
    t.ok((await buffer(await store.read('big.bin'))).equals(previous), 'the previous object is intact')
  })

  t.test('an interrupt aborts the multipart upload in flight', async (t) => {
    const store = new S3Store(emulator.s3, `s3://${bucket}/interrupt/`, {partSize: 5 * MiB})
    await store.write('small', 'written before')
    const counts = countRequests(emulator.s3)
    let release = (): void => {}
    const stalled = Readable.from(
      (async function* () {
        yield Buffer.alloc(5 * MiB + 1, 'i')
        await new Promise<void>((resolve) => (release = resolve))
        yield Buffer.from('late')
      })(),
    )
    const writing = store.write('big.bin', stalled)
    while (!counts.get('UploadPartCommand')) await new Promise((resolve) => setTimeout(resolve, 5))
    await runInterruptCleanups()
    t.equal(counts.get('AbortMultipartUploadCommand'), 1, 'the signal handler aborted it')
    t.same((await new S3Store(emulator.s3, `s3://${bucket}/interrupt/`).list())[0], {key: 'small', size: 14, md5: md5Hex('written before'), metadata: {}})
    t.equal(counts.get('HeadObjectCommand'), undefined, '…and saved the manifest of what was written')
    release()
    await t.rejects(writing, {name: 'NoSuchUpload'}, 'the write fails: its upload is gone')
    t.equal(counts.get('AbortMultipartUploadCommand'), 2, 'aborted again on the failure (S3 answers that it is gone)')
    t.equal(await store.stat('big.bin'), undefined, 'nothing was created')
  })

  t.test('S3 objects carry their true content type', async (t) => {
    const store = new S3Store(emulator.s3, `s3://${bucket}/types/`)
    // The writer says the type (fetch: BLS files are text; sync: by the raw layout); none given, S3's default.
    await store.write('bls/pr/pr.series', 'series_id\r\n', {contentType: 'text/plain'})
    await store.write('datausa/population.json', '{}', {contentType: 'application/json'})
    await store.write('other.bin', 'x')
    await store.write('given.txt', 'x', {contentType: 'text/csv'})
    const type = async (key: string) => (await emulator.s3.send(new HeadObjectCommand({Bucket: bucket, Key: `types/${key}`}))).ContentType
    t.equal(await type('bls/pr/pr.series'), 'text/plain')
    t.equal(await type('datausa/population.json'), 'application/json')
    t.equal(await type('other.bin'), 'application/octet-stream')
    t.equal(await type('given.txt'), 'text/csv')
  })

  t.test('a listing costs LIST pages and one manifest GET, no HEAD per object', async (t) => {
    const location = `s3://${bucket}/listed/`
    const writer = new S3Store(emulator.s3, location, {partSize: 5 * MiB})
    // Pages of 10 keys: 25 objects page as 2,001 would at S3's 1,000, without writing thousands.
    const paged = {listPageSize: 10}
    await mapLimit(Array.from({length: 25}, (_, i) => i), 16, (i) => writer.write(`k${String(i).padStart(4, '0')}`, String(i), {metadata: {n: String(i)}}))
    const big = Buffer.alloc(5 * MiB + 1, 'b')
    await writer.write('zz-big', big)
    await writer.flush()
    const counts = countRequests(emulator.s3)
    const listed = await new S3Store(emulator.s3, location, paged).list()
    t.equal(listed.length, 26)
    t.same(listed[24], {key: 'k0024', size: 2, md5: md5Hex('24'), metadata: {n: '24'}})
    t.equal(listed[25]?.md5, md5Hex(big))
    t.same(Object.fromEntries(counts), {ListObjectsV2Command: 3, GetObjectCommand: 1}, '3 pages of LIST and the manifest')

    t.test('objects changed behind its back are noticed, multipart ones included', async (t) => {
      // Another client re-uploads both with the same metadata, and the old MD5 claimed in it.
      const claim = {n: '7', [LEGACY_MD5_METADATA_KEY]: md5Hex('7')}
      await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'listed/k0007', Body: 'seven', Metadata: claim}))
      const other = Buffer.alloc(5 * MiB + 1, 'o')
      // A writer whose manifest update is lost (it never flushes), as under a concurrent writer.
      await new S3Store(emulator.s3, location, {partSize: 5 * MiB}).write('zz-big', other, {metadata: {[LEGACY_MD5_METADATA_KEY]: md5Hex(big)}})
      counts.clear()
      const reader = new S3Store(emulator.s3, location, paged)
      const again = await reader.list()
      t.same(again[7], {key: 'k0007', size: 5, md5: md5Hex('seven'), metadata: {n: '7'}}, 'the new content, its claim dropped')
      t.same(again[25], {key: 'zz-big', size: other.length, metadata: {}}, 'a multipart object with another ETag: MD5 unknown, not the claimed one')
      t.equal(counts.get('HeadObjectCommand'), 2, 'a HEAD for the two changed objects only')
      await reader.flush()
      counts.clear()
      const third = await new S3Store(emulator.s3, location, paged).list()
      t.same(third[7]?.md5, md5Hex('seven'))
      t.same(Object.fromEntries(counts), {ListObjectsV2Command: 3, GetObjectCommand: 1}, 'what a listing learnt is saved: no HEAD next time')
    })
  })

  t.test('a manifest that could not be saved is saved by the next flush', async (t) => {
    const name = await emulator.bucket()
    const store = new S3Store(emulator.s3, `s3://${name}/`)
    await store.write('a', 'a', {metadata: {k: 'v'}})
    await emulator.s3.send(new DeleteObjectCommand({Bucket: name, Key: 'a'}))
    await emulator.s3.send(new DeleteBucketCommand({Bucket: name}))
    await t.rejects(store.flush(), {name: 'NoSuchBucket'})
    await emulator.bucket(name)
    await emulator.s3.send(new PutObjectCommand({Bucket: name, Key: 'a', Body: 'a', Metadata: {k: 'v'}}))
    await store.flush()
    const counts = countRequests(emulator.s3)
    t.same(await new S3Store(emulator.s3, `s3://${name}/`).list(), [{key: 'a', size: 1, md5: md5Hex('a'), metadata: {k: 'v'}}])
    t.equal(counts.get('HeadObjectCommand'), undefined)
  })

  t.test('an unreadable manifest is an empty cache', async (t) => {
    const location = `s3://${bucket}/damaged/`
    await new S3Store(emulator.s3, location).write('a', 'a')
    for (const body of ['{not json', '"str"', '{"objects": {"a": {"etag": 1}}}']) {
      await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: `damaged/${MANIFEST_NAME}`, Body: body}))
      t.same(await new S3Store(emulator.s3, location).list(), [{key: 'a', size: 1, md5: md5Hex('a'), metadata: {}}], body)
    }
  })

  t.test('folder markers are not objects', async (t) => {
    await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'marked/dir/', Body: new Uint8Array(), ContentLength: 0}))
    await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'marked/dir/file', Body: 'x'}))
    t.same((await openStore(`s3://${bucket}/marked/`, {endpoint: emulator.endpoint}).list()).map((o) => o.key), ['dir/file'])
  })

})

t.test('S3 locations', async (t) => {
  t.same(parseS3Location('s3://b'), {bucket: 'b', prefix: ''})
  t.same(parseS3Location('s3://b/raw'), {bucket: 'b', prefix: 'raw/'})
  t.same(parseS3Location('s3://b/raw/'), {bucket: 'b', prefix: 'raw/'})
  t.throws(() => parseS3Location('s3:///x'), /invalid S3 location/)
})

t.test('a stream as a reader: text and empty chunks, each chunk\'s bounds kept', async (t) => {
  const reader = streamReader(Readable.from(['ab', Buffer.alloc(0), Buffer.from('cde'), 'f']))
  const into = new Uint8Array(2)
  const reads: string[] = []
  for (let read; (read = await reader.read(into)) > 0; ) reads.push(Buffer.from(into.subarray(0, read)).toString())
  t.same(reads, ['ab', 'cd', 'e', 'f'])
  await reader.close()
  // Read whole: the size expected, or more (grown since it was listed), or less.
  t.equal((await readWhole(streamReader(Readable.from(['abc', 'def'])), 6)).toString(), 'abcdef')
  t.equal((await readWhole(streamReader(Readable.from(['abc', 'defgh', 'ijk'])), 2)).toString(), 'abcdefghijk', 'more than expected')
  t.equal((await readWhole(streamReader(Readable.from(['ab'])), 10)).toString(), 'ab', 'fewer')
})

t.test('errors other than "not found" are not swallowed', async (t) => {
  const root = await tempDir()
  const folder = openStore(root)
  t.type(folder, FolderStore)
  await folder.write('file', 'x')
  t.equal(await folder.stat('a'), undefined, 'a missing key')
  await folder.write('dir/inner', 'y')
  t.equal(await folder.stat('dir'), undefined, 'a folder is not an object')
  await t.rejects(folder.stat('file/below'), {code: 'ENOTDIR'})
  await t.rejects(folder.read('file/below'), {code: 'ENOTDIR'})
  await t.rejects(new FolderStore(path.join(root, 'file')).list(), {code: 'ENOTDIR'})
  await t.rejects(folder.read('dir'), NotFoundError, 'a folder cannot be read as an object')
  await t.rejects(folder.reader('dir'), NotFoundError, 'nor given a reader')
  await t.rejects(folder.reader('file/below'), {code: 'ENOTDIR'}, 'a reader: only absence is NotFoundError')
  await t.rejects(folder.write('file/below', 'bytes'), /ENOTDIR/, 'bytes under a file: the system error, named')
  await t.rejects(folder.writeAll!([{key: 'streamed', body: Readable.from(['abc']), options: {expectedSize: 5}}]), SizeMismatchError, 'a set: a stream of another length')
  t.equal(await folder.stat('streamed'), undefined, 'nothing of the set written')
  await new FolderStore(await tempDir()).flush() // a store never used: nothing to save
  // Of the files no manifest vouches for (made by hand), only those the caller asks for are hashed while listing.
  const hand = await tempDir()
  await writeFile(path.join(hand, 'hand-1'), 'one')
  await writeFile(path.join(hand, 'hand-2'), 'two')
  t.same((await new FolderStore(hand).list('', {hash: (key) => key === 'hand-1'})).map((object) => [object.key, object.md5]), [['hand-1', md5Hex('one')], ['hand-2', undefined]])
  await writeFile(path.join(root, '.left.over.0123456789ab.tmp'), 'from a crash')
  t.same((await folder.list()).map((o) => o.key), ['dir/inner', 'file'], 'temp files are not objects')
  const brokenRoot = await tempDir()
  await mkdir(path.join(brokenRoot, MANIFEST_NAME))
  await writeFile(path.join(brokenRoot, 'k'), 'x') // a missing file is answered without the manifest
  await t.rejects(new FolderStore(brokenRoot).stat('k'), {code: 'EISDIR'}, 'an unreadable manifest is an error')
  t.equal(openStore('s3://bucket/raw').location, 's3://bucket/raw/', 'no endpoint: AWS itself')

  // Nothing listens on port 1: the SDK's connection error must surface, not read as "absent".
  const unreachable = openStore('s3://bucket/', {endpoint: 'http://127.0.0.1:1', region: 'eu-west-1'})
  await t.rejects(unreachable.stat('k'), /ECONNREFUSED/)
  await t.rejects(unreachable.read('k'), /ECONNREFUSED/)
  await t.rejects(unreachable.list(), /ECONNREFUSED/)
})

t.test('Limiter runs at most `limit` tasks at once, in order of arrival', async (t) => {
  const limiter = new Limiter(2)
  let active = 0
  let peak = 0
  const order: number[] = []
  await Promise.all(
    Array.from({length: 6}, (_, i) =>
      limiter.run(async () => {
        active++
        peak = Math.max(peak, active)
        await new Promise((resolve) => setTimeout(resolve, 5))
        order.push(i)
        active--
      }),
    ),
  )
  t.equal(peak, 2)
  t.same(order, [0, 1, 2, 3, 4, 5])
  await t.rejects(limiter.run(async () => Promise.reject(new Error('boom'))), /boom/)
  t.equal(await limiter.run(async () => 'free again'), 'free again', 'a failed task releases its slot')
})
