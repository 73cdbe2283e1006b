// Transform items of issues 8 and 12: an empty series report, bytes checked against the store's MD5, --dry-run.
import {readFile, writeFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'
import path from 'node:path'

import t from 'tap'

import Transform from '../src/commands/transform.js'
import type {SeriesPopulationReport} from '../src/reports/types.js'
import {FolderStore} from '../src/stores/folder.js'
import {PARALLEL_MIN_BYTES, transformStores} from '../src/transform/index.js'
import {DATA_KEY, POPULATION_KEY, questStore, removeTempDirs, tempDir} from './helpers/bls-files.js'
import {runCommand} from './helpers/cli.js'

t.teardown(removeTempDirs)

t.test('a series without rows empties its report only: all three written, a warning; --strict refuses', async (t) => {
  const raw = await questStore()
  const processed = new FolderStore(await tempDir())
  const result = await transformStores({raw, processed, seriesId: 'PRS9'})
  t.same(result.files.filter((file) => file.key.endsWith('.json')).map((file) => file.status), ['written', 'written', 'written'])
  t.same((result.reports[2] as SeriesPopulationReport).rows, [])
  t.same(result.warnings, ['bls/pr/pr.data.0.Current has no Q01 rows for series PRS9: series_population.json has no rows; pick another --series or --period'])

  const cli = await runCommand(Transform, ['--raw', (raw as FolderStore).root, '--processed', await tempDir(), '--series', 'PRS9'])
  t.equal(cli.exitCode, 0)
  t.match(cli.stderr, /Warning: .*has no Q01 rows for series PRS9/)
  const strictOut = await tempDir()
  const strict = await runCommand(Transform, ['--raw', (raw as FolderStore).root, '--processed', strictOut, '--series', 'PRS9', '--strict'])
  t.equal(strict.exitCode, 1)
  t.same(await new FolderStore(strictOut).list(), [], 'nothing written')
})

t.test('bytes that do not match the MD5 the store recorded are refused, naming the key; nothing written', async (t) => {
  for (const key of [DATA_KEY, POPULATION_KEY]) {
    const stored = (await questStore()) as FolderStore
    // The manifest vouches for other bytes than the file holds (size and time unchanged): as after bit rot.
    const manifestFile = path.join(stored.root, '.dataquest-manifest.json')
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, {md5: string}>
    manifest[key]!.md5 = '0'.repeat(32)
    await writeFile(manifestFile, JSON.stringify(manifest))
    const raw = new FolderStore(stored.root)
    const processed = new FolderStore(await tempDir())
    await t.rejects(transformStores({raw, processed}), new RegExp(`^${key.replaceAll('.', '\\.')} in .* is damaged: its bytes have MD5 [0-9a-f]{32}, the store recorded 0{32}; fetch or sync it again \\(no report was written\\)$`))
    t.same(await processed.list(), [], `${key}: nothing written`)
  }
  // A folder that has no manifest has no recorded MD5: read and hashed, accepted.
  const raw = (await questStore()) as FolderStore
  await writeFile(path.join(raw.root, '.dataquest-manifest.json'), '{}')
  const result = await transformStores({raw: new FolderStore(raw.root), processed: new FolderStore(await tempDir())})
  t.equal(result.reports[1]!.inputs[0]!.md5, (await raw.stat(DATA_KEY))!.md5)
})

t.test('--dry-run computes and compares, writes nothing, and says what it would write', async (t) => {
  const raw = (await questStore()) as FolderStore
  const out = await tempDir()
  const dry = await runCommand(Transform, ['--raw', raw.root, '--processed', out, '--dry-run'])
  t.equal(dry.exitCode, 0)
  t.match(dry.stdout, /dry run, nothing written/)
  t.match(dry.stdout, /would write/)
  t.same(await new FolderStore(out).list(), [])
  const json = await runCommand(Transform, ['--raw', raw.root, '--processed', out, '--dry-run', '--json'])
  t.match(JSON.parse(json.stdout), {dryRun: true, files: [{status: 'would write'}, {status: 'would write'}, {status: 'would write'}]})
  await runCommand(Transform, ['--raw', raw.root, '--processed', out])
  const again = await runCommand(Transform, ['--raw', raw.root, '--processed', out, '--dry-run', '--json'])
  t.same(JSON.parse(again.stdout).files.filter((file: {key: string}) => file.key.endsWith('.json')).map((file: {status: string}) => file.status), ['unchanged', 'unchanged', 'unchanged'])
})

t.test('a data file of PARALLEL_MIN_BYTES or more is scanned on worker threads, with the same reports', async (t) => {
  const rows = Array.from({length: Math.ceil(PARALLEL_MIN_BYTES / 25)}, (_, i) => `PRS${String(i % 5000).padStart(8, '0')}\t${1990 + (i % 30)}\tQ0${(i % 5) + 1}\t${(i % 997) / 10}\r\n`)
  const data = `series_id\tyear\tperiod\tvalue\r\n${rows.join('')}`
  t.ok(data.length >= PARALLEL_MIN_BYTES, `${data.length} bytes`)
  const raw = await questStore()
  await raw.write(DATA_KEY, data)
  const parallel = await transformStores({raw, processed: new FolderStore(await tempDir()), threads: 2, seriesId: 'PRS00000001'})
  const single = await transformStores({raw, processed: new FolderStore(await tempDir()), threads: 1, seriesId: 'PRS00000001'})
  t.equal(single.threads, 1)
  t.ok(parallel.threads >= 2, `scanned on ${parallel.threads} threads`)
  t.same(parallel.reports, single.reports)
  const byDefault = await transformStores({raw, processed: new FolderStore(await tempDir()), seriesId: 'PRS00000001'})
  t.same(byDefault.reports, single.reports)
  t.equal(byDefault.threads, availableParallelism() >= 2 ? availableParallelism() : 1, 'one thread per core by default, at this size')
})
