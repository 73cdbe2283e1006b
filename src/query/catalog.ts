import {BLS_ROOT_PREFIX} from '../stores/raw-layout.js'
import type {Store, StoredObject} from '../stores/store.js'
import {columnNames, DATA_COLUMNS, type FileKind, kindOf, viewName} from './sql.js'

/** A file kind of a mirrored survey, with the files behind it. */
export interface CatalogKind extends FileKind {
  files: StoredObject[]
}

/** What the raw store holds that the views can read, and what they leave out (and why). */
export interface Catalog {
  kinds: CatalogKind[]
  skipped: {key: string; reason: string}[]
}

/** Longest header read: a BLS header is a few hundred bytes. */
const MAX_HEADER_BYTES = 64 * 1024

/** The first line of a stored file, without its line end (at most MAX_HEADER_BYTES). */
async function firstLine(store: Store, key: string): Promise<string> {
  const stream = await store.read(key)
  const chunks: Buffer[] = []
  let bytes = 0
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer)
      bytes += (chunk as Buffer).length
      if ((chunk as Buffer).includes(0x0a) || bytes >= MAX_HEADER_BYTES) break
    }
  } finally {
    stream.destroy()
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]!.replace(/\r$/, '')
}

/**
 * The file kinds of every survey under `bls/` (names and columns from the files, none hard-coded):
 * the `S.data.*` files as one kind, each other tab-separated file (`S.series`, the lookups) as
 * its own. Files that are not tables (`pr.txt`, `pr.contacts`) are skipped, with the reason.
 */
export async function surveyCatalog(raw: Store): Promise<Catalog> {
  const kinds = new Map<string, CatalogKind>()
  const skipped: Catalog['skipped'] = []
  for (const object of await raw.list(BLS_ROOT_PREFIX)) {
    // A survey's files are bls/<survey>/<file>: nothing beside the folders, nothing deeper.
    const parts = object.key.slice(BLS_ROOT_PREFIX.length).split('/')
    if (parts.length !== 2) continue
    const [survey, fileName] = parts as [string, string]
    const kind = kindOf(survey, fileName)
    if (kind === undefined) {
      skipped.push({key: object.key, reason: `not named ${survey}.<name>`})
      continue
    }
    const header = (await firstLine(raw, object.key)).split('\t')
    if (header.length < 2) {
      skipped.push({key: object.key, reason: 'not a tab-separated table'})
      continue
    }
    const columns = columnNames(header)
    const name = viewName({survey, kind})
    if (kind === 'data' && columns.join() !== DATA_COLUMNS.join()) {
      skipped.push({key: object.key, reason: `its header is not ${DATA_COLUMNS.join(', ')}`})
      continue
    }
    const known = kinds.get(name)
    if (known && kind !== 'data') {
      skipped.push({key: object.key, reason: `${known.file} already makes the view ${name}`})
      continue
    }
    if (known) known.files.push(object)
    else kinds.set(name, {survey, kind, columns, ...(kind === 'data' ? {} : {file: fileName}), files: [object]})
  }
  return {kinds: [...kinds.values()].sort((a, b) => viewName(a).localeCompare(viewName(b))), skipped}
}
