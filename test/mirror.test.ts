import {mkdir, mkdtemp, readdir, readFile, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {PutObjectCommand} from '@aws-sdk/client-s3'
import t, {type Test} from 'tap'

import Fetch from '../src/commands/fetch.js'
import Sync from '../src/commands/sync.js'
import {FetchError, fetchUpstream, type FetchOptions} from '../src/fetch/index.js'
import {KeyFilter} from '../src/mirror/filter.js'
import {GuardError} from '../src/mirror/guard.js'
import {checkMirrorLocations, LocationError} from '../src/mirror/locations.js'
import {march} from '../src/mirror/march.js'
import {FolderStore} from '../src/stores/folder.js'
import {openStore} from '../src/stores/open.js'
import {syncStores} from '../src/sync/index.js'
import {runCommand} from './helpers/cli.js'
import {startEmulator} from './helpers/fauxqs.js'
import {sampleFiles, serveFiles, startUpstream} from './helpers/upstream.js'

const CONTACT = 'tests@example.com'
const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-mirror-'))
const keys = async (store: FolderStore): Promise<string[]> => (await store.list()).map((object) => object.key)

/** A served sample `pr` directory and a folder store fetched from it once. */
async function fetched(t: Test) {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const root = await tempDir()
  const store = new FolderStore(root)
  const options: FetchOptions = {store, contact: CONTACT, version: '9.9.9', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl, http: {backoffMs: 1, headersTimeoutMs: 30_000}}
  const argv = ['--raw', root, '--contact', CONTACT, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl]
  return {upstream, root, store, options, argv}
}

/** A folder store of `files`, written as sync writes (so they count as dataquest's). */
async function syncedFolder(files: Record<string, string>): Promise<{source: FolderStore; target: FolderStore}> {
  const source = new FolderStore(await tempDir())
  for (const [key, body] of Object.entries(files)) await source.write(key, body)
  const target = new FolderStore(await tempDir())
  await syncStores({source, target})
  return {source, target}
}

t.test('march pairs two listings by key, whatever their order', async (t) => {
  const object = (key: string) => ({key, size: 1, metadata: {}})
  t.same(
    march(['c', 'a', 'b'], [object('d'), object('b'), object('a')], (name) => name),
    [
      {key: 'a', source: 'a', target: object('a')},
      {key: 'b', source: 'b', target: object('b')},
      {key: 'c', source: 'c'},
      {key: 'd', target: object('d')},
    ],
  )
  t.same(march([], [], String), [])
})

t.test('filters: aws s3 sync semantics, the last rule that matches wins', async (t) => {
  const filter = new KeyFilter([
    {type: 'exclude', pattern: 'pr.data.*'},
    {type: 'include', pattern: 'pr.data.0.Current'},
    {type: 'exclude', pattern: 'datausa/*'},
    {type: 'exclude', pattern: 'bls/c?/[!x]*.tx[t]'},
  ])
  t.match(filter.excludedBy('bls/pr/pr.data.1.AllData'), {pattern: 'pr.data.*'}, 'no /: the file name, in any folder')
  t.equal(filter.excludedBy('bls/pr/pr.data.0.Current'), undefined, 'a later include wins')
  t.match(filter.excludedBy('datausa/population.json'), {type: 'exclude'}, 'with a /: the whole key; * crosses /')
  t.equal(filter.excludedBy('bls/pr/pr.series'), undefined, 'no rule: included')
  t.ok(filter.excludedBy('bls/cu/cu.txt'), '? and a set')
  t.equal(filter.excludedBy('bls/cu/x.txt'), undefined, 'a negated set')
  t.equal(new KeyFilter([{type: 'exclude', pattern: 'a.b'}]).excludedBy('axb'), undefined, 'a dot is a dot')
  t.ok(new KeyFilter([{type: 'exclude', pattern: '[a'}]).excludedBy('[a'), 'an unclosed [ is itself')
})

t.test('overlapping source and target are refused, nothing changed (issue 19 item 1)', async (t) => {
  const {target: parent} = await syncedFolder({'a.txt': 'a', 'b.txt': 'b'})
  const sub = path.join(parent.root, 'sub')
  await mkdir(sub)
  await writeFile(path.join(sub, 'one.txt'), '1')
  await writeFile(path.join(sub, 'two.txt'), '2')
  const before = await keys(parent)

  const into = await runCommand(Sync, ['--from', sub, '--to', parent.root, '--force', '--delete-foreign'])
  t.equal(into.exitCode, 2)
  t.match(into.stderr, `the source ${sub} is inside the target ${parent.root}`)
  t.equal(into.stderr.trim().split('\n').length, 1, 'one line')
  t.same(await keys(parent), before, 'the source (inside the target) is intact')

  const grow = await runCommand(Sync, [parent.root, sub])
  t.equal(grow.exitCode, 2)
  t.match(grow.stderr, `the target ${sub} is inside the source ${parent.root}`)
  t.same(await readdir(sub), ['one.txt', 'two.txt'], 'nothing copied into the target')

  // Through a symlink: the link's path is elsewhere, its folder is not.
  const link = path.join(await tempDir(), 'link')
  await symlink(parent.root, link)
  const linked = await runCommand(Sync, ['--from', sub, '--to', link])
  t.equal(linked.exitCode, 2)
  t.match(linked.stderr, 'is inside the target')
  await t.rejects(checkMirrorLocations(link, path.join(parent.root, 'new', 'deeper')), LocationError, 'a target not made yet, inside the source')
  await t.rejects(syncStores({source: new FolderStore(sub), target: new FolderStore(link)}), LocationError, 'the library refuses too')

  const s3 = await runCommand(Sync, ['s3://team/raw/', 's3://team/raw/sub/'])
  t.equal(s3.exitCode, 2)
  t.match(s3.stderr, 'the target s3://team/raw/sub/ is inside the source s3://team/raw/')
  t.match((await runCommand(Sync, ['s3://team/', 's3://team/raw'])).stderr, 'is inside the source')
  await t.resolves(checkMirrorLocations('s3://team/raw/', 's3://team/raw2/'), 'a prefix that only starts alike')
  await t.resolves(checkMirrorLocations('s3://team/raw/', 's3://other/raw/'))
  await t.resolves(checkMirrorLocations(sub, 's3://team/raw/'))
  await t.rejects(checkMirrorLocations(sub, link.replace(/link$/, 'link/sub')), {message: /same store/})
})

t.test('a source that does not exist is an error naming it, whatever the flags (item 4)', async (t) => {
  const {target} = await syncedFolder({'a.txt': 'a'})
  const missing = path.join(await tempDir(), 'rwa')
  const result = await runCommand(Sync, ['--from', missing, '--to', target.root, '--force', '--delete-foreign'])
  t.equal(result.exitCode, 2)
  t.match(result.stderr, `the source folder ${missing} does not exist`)
  t.same(await keys(target), ['a.txt'], 'nothing deleted')
  const newTarget = path.join(await tempDir(), 'never')
  await runCommand(Sync, ['--from', missing, '--to', newTarget])
  await t.rejects(readdir(newTarget), {code: 'ENOENT'}, 'the target was not created either')
  await t.rejects(readdir(missing), {code: 'ENOENT'}, 'nor the source')
  const file = path.join(target.root, 'a.txt')
  t.match((await runCommand(Sync, ['--from', file, '--to', newTarget])).stderr, `the source ${file} is not a folder`)
  t.match((await runCommand(Sync, ['--from', path.join(file, 'x'), '--to', newTarget])).stderr, /cannot be read \(ENOTDIR/)
  const underFile = await runCommand(Sync, ['--from', target.root, '--to', path.join(file, 'x')])
  t.equal(underFile.exitCode, 1, 'a target that cannot be made is no usage mistake')
  t.match(underFile.stderr, /ENOTDIR/)
})

t.test('the replacement guard: a listing of empty files changes nothing without --force (item 2)', async (t) => {
  const {upstream, store, options, argv} = await fetched(t)
  await fetchUpstream(options)
  const later = new Date('2024-07-01T09:00:00Z')
  for (const name of Object.keys(sampleFiles())) upstream.setFile(name, '', later)
  const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
  t.type(error, FetchError)
  t.ok(error.causes.some((cause) => cause instanceof GuardError))
  t.match(error.message, /survey pr: the BLS listing would shrink the stored bytes from \d+ to 0 \(less than half left\); nothing was changed/)
  t.equal(String(await readFile(path.join(store.root, 'bls/pr/pr.txt'))), sampleFiles()['pr.txt'], 'the stored copy is intact')
  const cli = await runCommand(Fetch, argv)
  t.equal(cli.exitCode, 1)
  t.match(cli.stderr, /would shrink the stored bytes/)
  t.match(await fetchUpstream({...options, force: true}), {replaced: 3})

  const {source, target} = await syncedFolder({'a.txt': 'a'.repeat(100), 'b.txt': 'b'})
  await source.write('a.txt', '')
  await t.rejects(syncStores({source, target}), {name: 'GuardError', message: /the source would shrink the stored bytes from 101 to 1/})
  t.match(await syncStores({source, target, force: true}), {uploaded: 1})
})

t.test('sync deletes only what dataquest wrote; --delete-foreign the rest (item 3)', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const source = new FolderStore(await tempDir())
  await source.write('bls/pr/pr.txt', 'pr')
  await source.write('bls/pr/pr.series', 'series')
  const env = {AWS_ENDPOINT_URL: emulator.endpoint, DATAQUEST_BUCKET: bucket}
  t.equal((await runCommand(Sync, ['--from', source.root], env)).exitCode, 0)
  // A team's note beside the mirror, and a file the source then loses.
  await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'raw/team-notes.txt', Body: 'notes'}))
  await source.write('bls/pr/pr.class', 'class')
  await source.delete('bls/pr/pr.series')
  const result = await runCommand(Sync, ['--from', source.root, '--json'], env)
  t.equal(result.exitCode, 0)
  t.match(JSON.parse(result.stdout), {uploaded: 1, deleted: 1, kept: 1, deletes: 'own', files: [{key: 'bls/pr/pr.class'}, {key: 'bls/pr/pr.series', action: 'delete'}, {}, {key: 'team-notes.txt', action: 'keep'}]})
  const target = openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint})
  t.ok(await target.stat('team-notes.txt'), 'the team note is still there')
  const again = await runCommand(Sync, ['--from', source.root], env)
  t.match(again.stderr, /; kept 1 not written by dataquest/)
  t.match((await runCommand(Sync, ['--from', source.root, '--delete-foreign', '--no-delete'], env)).stderr, /--delete-foreign and --no-delete contradict/)
  const all = await runCommand(Sync, ['--from', source.root, '--delete-foreign', '--force'], env)
  t.match(all.stdout, /delete\s+team-notes\.txt/)
  t.equal(await target.stat('team-notes.txt'), undefined)
})

t.test('--max-delete N: more deletions change nothing, --force or not', async (t) => {
  const {source, target} = await syncedFolder({'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd.txt': 'd'})
  await source.delete('a.txt')
  await source.write('e.txt', 'e')
  const refused = await runCommand(Sync, ['--from', source.root, '--to', target.root, '--max-delete', '0', '--force'])
  t.equal(refused.exitCode, 1)
  t.match(refused.stderr, /the plan would delete 1 files, more than the 0 allowed; nothing was changed$/m)
  t.same(await keys(target), ['a.txt', 'b.txt', 'c.txt', 'd.txt'], 'nothing deleted nor added')
  t.match(JSON.parse((await runCommand(Sync, ['--from', source.root, '--to', target.root, '--max-delete', '1', '--json'])).stdout), {deleted: 1, uploaded: 1})
  t.equal((await runCommand(Sync, ['--from', source.root, '--to', target.root, '--max-delete', '-1'])).exitCode, 2)

  const {upstream, store, options, argv} = await fetched(t)
  await fetchUpstream(options)
  upstream.removeFile('pr.txt')
  upstream.setFile('pr.class', 'c\r\n')
  const error = (await fetchUpstream({...options, maxDelete: 0, force: true}).catch((caught: unknown) => caught)) as FetchError
  t.match(error.message, 'the BLS listings: the plan would delete 1 files, more than the 0 allowed; nothing was changed')
  t.match(error.summary, {added: 0, deleted: 0})
  t.ok(await store.stat('bls/pr/pr.txt'), 'nothing deleted')
  t.equal(await store.stat('bls/pr/pr.class'), undefined, 'nor added')
  const cli = await runCommand(Fetch, [...argv, '--max-delete', '1'])
  t.equal(cli.exitCode, 0)
  t.match(cli.stdout, /delete\s+bls\/pr\/pr\.txt/)
})

t.test('--exclude/--include: filtered keys are neither fetched nor deleted, and dry runs show them (issue 22)', async (t) => {
  const {upstream, store, argv} = await fetched(t)
  const dry = await runCommand(Fetch, [...argv, '--exclude', 'pr.data.*', '--dry-run', '--json'])
  t.match(JSON.parse(dry.stdout), {added: 3, excluded: 1, files: [{key: 'bls/pr/pr.data.0.Current', action: 'exclude', reason: 'excluded by pr.data.*'}]})
  const first = await runCommand(Fetch, [...argv, '--exclude', 'pr.data.*', '--exclude', 'datausa/*'])
  t.equal(first.exitCode, 0)
  t.match(first.stdout, /exclude\s+bls\/pr\/pr\.data\.0\.Current\s+excluded by pr\.data\.\*/)
  t.match(first.stdout, /^excluded +2$/m)
  t.same(await keys(store), ['bls/pr/pr.series', 'bls/pr/pr.txt'], 'neither the data file nor the population')
  // A later --include takes a file back; an excluded stored file is not deleted when upstream drops it.
  t.equal((await runCommand(Fetch, [...argv, '--exclude', 'pr.*', '--include', 'pr.data.0.Current'])).exitCode, 0)
  t.ok(await store.stat('bls/pr/pr.data.0.Current'))
  upstream.removeFile('pr.series')
  t.match(JSON.parse((await runCommand(Fetch, [...argv, '--exclude', 'bls/pr/pr.series', '--json'])).stdout), {deleted: 0, excluded: 1})
  t.ok(await store.stat('bls/pr/pr.series'), 'excluded: kept though gone upstream')

  const {source, target} = await syncedFolder({'a.json': '{}', 'b.txt': 'b', 'c.txt': 'c'})
  await source.delete('a.json')
  await source.write('d.json', '[]')
  const sync = await runCommand(Sync, [source.root, target.root, '--exclude', '*.json', '--json'])
  t.match(JSON.parse(sync.stdout), {uploaded: 0, deleted: 0, excluded: 2, unchanged: 2})
  t.same(await keys(target), ['a.json', 'b.txt', 'c.txt'])
  t.match((await runCommand(Sync, [source.root, target.root, '--exclude', '*.json'])).stdout, /^excluded +2$/m)
})

t.test('sync SRC DST: positional, or --from/--to, not both', async (t) => {
  const {source, target} = await syncedFolder({'a.txt': 'a'})
  await source.write('b.txt', 'b')
  t.match(JSON.parse((await runCommand(Sync, [source.root, target.root, '--json'])).stdout), {uploaded: 1, from: source.root, to: target.root})
  const twice = await runCommand(Sync, [source.root, target.root, '--from', source.root])
  t.equal(twice.exitCode, 2)
  t.match(twice.stderr, 'give the source once: as SRC or as --from')
  t.match((await runCommand(Sync, [source.root, target.root, '--to', target.root])).stderr, 'give the target once: as DST or as --to')
})
