import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {PassThrough} from 'node:stream'
import {text} from 'node:stream/consumers'

import t from 'tap'

import {runInterruptCleanups} from '../src/stores/cleanup.js'
import {FolderStore, JOURNAL_NAME, LOCK_NAME, MANIFEST_NAME} from '../src/stores/folder.js'
import {acquireLock, type LockHolder, StoreLockedError, takeOver} from '../src/stores/lock.js'
import {md5Hex} from '../src/stores/md5.js'
import {UnrecordedWriteError} from '../src/stores/store.js'

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-lock-'))

/** A store whose warnings are collected. */
function folder(root: string): {store: FolderStore; warnings: string[]} {
  const warnings: string[] = []
  return {store: new FolderStore(root, {onWarning: (message) => warnings.push(message)}), warnings}
}

/** The pid of a process that has just exited: a holder that is provably gone. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!

const holder = (fields: Partial<LockHolder>): LockHolder => ({pid: process.pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'fetch', ...fields})
const readLock = async (root: string): Promise<LockHolder> => JSON.parse(await readFile(path.join(root, LOCK_NAME), 'utf8'))

t.test('one writer per folder store: the second fails fast naming the holder', async (t) => {
  const root = await tempDir()
  const first = folder(root).store
  const lock = await first.lockForWriting('fetch')
  const written = await readLock(root)
  t.same({pid: written.pid, host: written.host, command: written.command}, {pid: process.pid, host: os.hostname(), command: 'fetch'})
  t.ok(Date.parse(written.startedAt) <= Date.now(), 'the start time is recorded')

  const error = await folder(root).store.lockForWriting('run').catch((e: unknown) => e)
  t.type(error, StoreLockedError)
  t.equal(
    (error as Error).message,
    `${root} is being written by dataquest fetch (pid ${process.pid} on ${os.hostname()}, since ${written.startedAt}); wait for it to finish, or if no such process runs, delete ${path.join(root, LOCK_NAME)}`,
  )
  t.notOk((error as Error).message.includes('\n'), 'one line')

  await first.write('a', 'x')
  t.equal(lock.changes, 1, 'the lock counts the changes made under it')
  await first.flush()
  lock.release()
  t.notOk(existsSync(path.join(root, LOCK_NAME)), 'released: the lock file is gone')
  const second = await folder(root).store.lockForWriting('run')
  t.equal((await readLock(root)).command, 'run', 'free again once released')
  second.release()
  t.same(await readdir(root), ['.dataquest-manifest.json', 'a'], 'no lock or temp file left')
})

t.test('a lock whose holder is gone is taken over, with a warning', async (t) => {
  const root = await tempDir()
  const pid = deadPid()
  await writeFile(path.join(root, LOCK_NAME), JSON.stringify(holder({pid})))
  const {store, warnings} = folder(root)
  const lock = await store.lockForWriting('transform')
  t.same(warnings, [`${root}: took over the lock of dataquest fetch (pid ${pid}, since 2026-01-01T00:00:00.000Z), which is no longer running`])
  t.equal((await readLock(root)).pid, process.pid)
  lock.release()
  t.same(await readdir(root), [], 'the stale lock is not kept anywhere')
})

t.test('a lock is not judged stale without proof', async (t) => {
  const root = await tempDir()
  // Another host: its pid says nothing here.
  await writeFile(path.join(root, LOCK_NAME), JSON.stringify(holder({pid: deadPid(), host: 'elsewhere'})))
  await t.rejects(folder(root).store.lockForWriting('fetch'), {name: 'StoreLockedError', message: /on elsewhere/})
  // Unreadable: someone else's, perhaps mid-write; or JSON that names no holder.
  for (const content of ['{', '{"pid": "1"}']) {
    await writeFile(path.join(root, LOCK_NAME), content)
    await t.rejects(folder(root).store.lockForWriting('fetch'), {message: new RegExp(`^${root} is being written by another process \\(lock file unreadable\\)`)}, content)
    t.equal(await readFile(path.join(root, LOCK_NAME), 'utf8'), content, 'left as it was')
  }
})

t.test('a link that fails for another reason than a held lock throws that error, and leaves no temp file', async (t) => {
  const root = await tempDir()
  // A trailing slash: link(2) says ENOENT, not EEXIST.
  t.throws(() => acquireLock(`${path.join(root, LOCK_NAME)}/`, {location: root, command: 'fetch'}), {code: 'ENOENT'})
  t.same(await readdir(root), [])
})

t.test('release removes only our own lock', async (t) => {
  const root = await tempDir()
  const lock = acquireLock(path.join(root, LOCK_NAME), {location: root, command: 'fetch'})
  const other = JSON.stringify(holder({pid: 1, startedAt: 'later'}))
  await writeFile(path.join(root, LOCK_NAME), other)
  lock.release()
  t.equal(await readFile(path.join(root, LOCK_NAME), 'utf8'), other)
})

t.test('taking over puts back a lock that changed hands meanwhile', async (t) => {
  const root = await tempDir()
  const file = path.join(root, LOCK_NAME)
  const fresh = JSON.stringify(holder({startedAt: 'fresh'}))
  await writeFile(file, fresh)
  takeOver(file, holder({pid: deadPid()}))
  t.equal(await readFile(file, 'utf8'), fresh, 'the live holder keeps its lock')
  t.same(await readdir(root), [LOCK_NAME], 'nothing set aside is left')
  t.doesNotThrow(() => takeOver(path.join(root, 'missing'), holder({})), 'a lock already moved away by another process: nothing to do')
  t.same(await readdir(root), [LOCK_NAME], 'and nothing written for it')
  await writeFile(path.join(root, 'file'), '')
  t.throws(() => takeOver(path.join(root, 'file', LOCK_NAME), holder({})), {code: 'ENOTDIR'})
})

t.test('the next writer sweeps the temp files a killed writer left, and only those', async (t) => {
  const root = await tempDir()
  await mkdir(path.join(root, 'bls/pr'), {recursive: true})
  await writeFile(path.join(root, 'bls/pr/.pr.data.0.Current.0123456789ab.tmp'), Buffer.alloc(1_500_000))
  await writeFile(path.join(root, `..dataquest-manifest.json.ba9876543210.tmp`), '{')
  await writeFile(path.join(root, 'bls/pr/.notes.tmp'), 'not named like ours')
  await writeFile(path.join(root, 'bls/pr/pr.series'), 'kept')
  const {store, warnings} = folder(root)
  const lock = await store.lockForWriting('fetch')
  t.same(warnings, [`${root}: removed 2 temp files (1.5 MB) left by an interrupted writer`])
  t.same((await readdir(path.join(root, 'bls/pr'))).sort(), ['.notes.tmp', 'pr.series'])
  t.notOk((await readdir(root)).some((name) => name.endsWith('.tmp')))
  lock.release()
})

t.test('an interrupt removes the temp files in hand and releases the lock', async (t) => {
  const root = await tempDir()
  const {store} = folder(root)
  await store.lockForWriting('fetch')
  const body = new PassThrough()
  body.write('first part')
  const writing = store.write('big', body)
  while (!(await readdir(root)).some((name) => name.endsWith('.tmp'))) await new Promise((resolve) => setTimeout(resolve, 5))
  // A leftover of a write that began as the interrupt arrived: the lock's last sweep takes it.
  await writeFile(path.join(root, '.late.0123456789ab.tmp'), '')
  await runInterruptCleanups()
  t.same(await readdir(root), [], 'no temp file and no lock left')
  body.destroy(new Error('stopped'))
  await t.rejects(writing, /stopped/)
  t.equal(await store.stat('big'), undefined, 'nothing half-written became an object')
})

const damaged: [string, string, RegExp][] = [
  ['"str"', 'a string', /it holds a string, not an object/],
  ['null', 'null', /it holds null, not an object/],
  ['[]', 'an array', /it holds an array, not an object/],
  ['{"a": {"size": 1, "mtimeMs": 1, "md5": "x", "metadata": {"k": 2}}', 'truncated JSON', /not JSON/],
  ['{"a": 1}', 'a wrong entry', /its entry for "a" is not \{size, mtimeMs, md5, metadata\}/],
  ['{"a": {"size": 1, "mtimeMs": 1, "md5": "x", "metadata": {"k": 2}}}', 'wrong metadata', /its entry for "a"/],
]

for (const [content, name, reason] of damaged) {
  t.test(`a damaged manifest (${name}) is set aside and rebuilt by the writer`, async (t) => {
    const root = await tempDir()
    const setup = folder(root).store
    await setup.write('a', 'alpha', {metadata: {k: 'v'}})
    await setup.write('sub/b', 'beta')
    await setup.flush()
    await writeFile(path.join(root, MANIFEST_NAME), content)
    const {store, warnings} = folder(root)
    const lock = await store.lockForWriting('fetch')
    t.equal(warnings.length, 1, 'warned once')
    t.match(warnings[0], reason)
    // The message against the files: the copy set aside, the count rebuilt, the files intact.
    const aside = /set it aside as (\S+) and rebuilt it from the (\d+) files here/.exec(warnings[0] ?? '')
    t.ok(aside, warnings[0] ?? 'a warning')
    t.equal(await readFile(path.join(root, aside![1]!), 'utf8'), content, 'the damaged copy is kept, as it was')
    const manifest = JSON.parse(await readFile(path.join(root, MANIFEST_NAME), 'utf8'))
    t.same(Object.keys(manifest), ['a', 'sub/b'])
    t.equal(Number(aside![2]), Object.keys(manifest).length)
    t.equal(manifest.a.md5, md5Hex('alpha'))
    t.same(manifest.a.metadata, {}, 'metadata cannot be recovered, as the warning says')
    t.same((await store.list()).map((o) => [o.key, o.md5]), [['a', md5Hex('alpha')], ['sub/b', md5Hex('beta')]])
    await store.write('c', 'gamma')
    await store.flush()
    t.equal(warnings.length, 1, 'no second warning')
    t.same(Object.keys(JSON.parse(await readFile(path.join(root, MANIFEST_NAME), 'utf8'))), ['a', 'c', 'sub/b'])
    lock.release()
  })
}

t.test('a reader works around a damaged manifest and changes nothing', async (t) => {
  const root = await tempDir()
  const setup = folder(root).store
  await setup.write('a', 'alpha')
  await setup.flush()
  await writeFile(path.join(root, MANIFEST_NAME), 'null')
  const {store, warnings} = folder(root)
  t.same((await store.list()).map((o) => o.md5), [md5Hex('alpha')])
  t.equal(await text(await store.read('a')), 'alpha')
  t.same(warnings, [
    `${path.join(root, MANIFEST_NAME)} is damaged (it holds null, not an object): ignored it, hashing the 1 file here instead (their kept metadata is lost); the next command that writes this store rebuilds it`,
  ])
  t.same((await readdir(root)).sort(), [MANIFEST_NAME, 'a'], 'nothing set aside by a reader')
  t.equal(await readFile(path.join(root, MANIFEST_NAME), 'utf8'), 'null')
  // A write without the lock (library use) still sets the damaged copy aside before replacing it.
  await store.write('b', 'beta')
  await store.flush()
  const names = await readdir(root)
  t.ok(names.some((name) => name.startsWith(`${MANIFEST_NAME}.damaged-`)))
  t.equal(warnings.length, 1)
})

t.test('a write whose manifest update fails says the new copy is in place', async (t) => {
  const root = await tempDir()
  await folder(root).store.write('k', 'old')
  const {store} = folder(root)
  await store.stat('k')
  // The manifest's journal becomes unwritable after it was read: the file itself still gets replaced.
  await rm(path.join(root, JOURNAL_NAME), {force: true})
  await mkdir(path.join(root, JOURNAL_NAME))
  const error = await store.write('k', 'new').catch((e: unknown) => e)
  t.type(error, UnrecordedWriteError)
  t.match((error as Error).message, /^k: the new copy was written, but recording it failed \(.*EISDIR/)
  t.notMatch((error as Error).message, /previous copy was kept/)
  t.equal(await readFile(path.join(root, 'k'), 'utf8'), 'new', 'as the message says: replaced')
})
