import {mkdir, mkdtemp, readFile, readdir, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {text} from 'node:stream/consumers'

import {HeadObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import t, {type Test} from 'tap'

import {FolderStore, MANIFEST_NAME} from '../src/stores/folder.js'
import {md5Hex} from '../src/stores/md5.js'
import {openStore} from '../src/stores/open.js'
import {MD5_METADATA_KEY, parseS3Location, S3Store} from '../src/stores/s3.js'
import {assertSafeKey, NotFoundError, SizeMismatchError, type Store} from '../src/stores/store.js'
import {Limiter, mapLimit} from '../src/util/concurrency.js'
import {startEmulator} from './helpers/fauxqs.js'

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-test-'))

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
})

t.test('S3 store against fauxqs', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  await contract(t, openStore(`s3://${bucket}/raw`, {endpoint: emulator.endpoint}))

  t.test('multipart uploads keep their MD5 in metadata', async (t) => {
    const store = new S3Store(emulator.s3, `s3://${bucket}/big/`, {multipartThreshold: 1024, partSize: 5 * 1024 * 1024})
    const body = Buffer.alloc(6 * 1024 * 1024 + 7, 'x')
    const written = await store.write('big.bin', body)
    t.equal(written.md5, md5Hex(body))
    const [listed] = await store.list()
    t.equal(listed?.md5, md5Hex(body))
    t.equal(listed?.metadata[MD5_METADATA_KEY], md5Hex(body))
    t.equal(listed?.size, body.length)
    const head = await emulator.s3.send(new HeadObjectCommand({Bucket: bucket, Key: 'big/big.bin'}))
    t.match(head.ETag, /-2"?$/, 'really a two-part upload: its ETag is not an MD5')
  })

  t.test('folder markers are not objects', async (t) => {
    await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'marked/dir/', Body: new Uint8Array(), ContentLength: 0}))
    await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'marked/dir/file', Body: 'x'}))
    t.same((await openStore(`s3://${bucket}/marked/`, {endpoint: emulator.endpoint}).list()).map((o) => o.key), ['dir/file'])
  })

  t.test('listing paginates', async (t) => {
    const store = new S3Store(emulator.s3, `s3://${bucket}/many/`)
    await mapLimit(Array.from({length: 1005}, (_, i) => i), 16, (i) => store.write(`k${String(i).padStart(4, '0')}`, String(i)))
    const listed = await store.list()
    t.equal(listed.length, 1005)
    t.equal(listed[1004]?.key, 'k1004')
  })
})

t.test('S3 locations', async (t) => {
  t.same(parseS3Location('s3://b'), {bucket: 'b', prefix: ''})
  t.same(parseS3Location('s3://b/raw'), {bucket: 'b', prefix: 'raw/'})
  t.same(parseS3Location('s3://b/raw/'), {bucket: 'b', prefix: 'raw/'})
  t.throws(() => parseS3Location('s3:///x'), /invalid S3 location/)
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
  await writeFile(path.join(root, '.left.over.tmp'), 'from a crash')
  t.same((await folder.list()).map((o) => o.key), ['dir/inner', 'file'], 'temp files are not objects')
  const brokenRoot = await tempDir()
  await mkdir(path.join(brokenRoot, MANIFEST_NAME))
  await t.rejects(new FolderStore(brokenRoot).stat('k'), {code: 'EISDIR'}, 'an unreadable manifest is an error')
  t.equal(openStore('s3://bucket/raw').location, 's3://bucket/raw/', 'no endpoint: AWS itself')

  // Nothing listens on port 1: the SDK's connection error must surface, not read as "absent".
  const unreachable = openStore('s3://bucket/', {endpoint: 'http://127.0.0.1:1', region: 'eu-west-1'})
  await t.rejects(unreachable.stat('k'), /ECONNREFUSED/)
  await t.rejects(unreachable.read('k'), /ECONNREFUSED/)
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
