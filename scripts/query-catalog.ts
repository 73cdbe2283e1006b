// Writes deploy/query-catalog.json: the file kinds and columns of each survey in a raw folder store,
// which the stack needs at synth time to declare its Glue tables (the laptop reads them at run time).
//   npm run query-catalog -- ./data/raw [survey…]     (default: every survey there; merged with what the file holds)
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {CATALOG_FILE, catalogEntries, type QueryCatalogFile} from '../deploy/query-catalog.js'
import {surveyCatalog} from '../src/query/catalog.js'
import {FolderStore} from '../src/stores/folder.js'

const [root, ...surveys] = process.argv.slice(2)
if (!root) throw new Error('usage: npm run query-catalog -- <raw folder> [survey…]')
const found = catalogEntries((await surveyCatalog(new FolderStore(path.resolve(root)))).kinds)
const kept = JSON.parse(await readFile(CATALOG_FILE, 'utf8')) as QueryCatalogFile
for (const [survey, kinds] of Object.entries(found)) if (surveys.length === 0 || surveys.includes(survey)) kept[survey] = kinds
await writeFile(CATALOG_FILE, `${JSON.stringify(Object.fromEntries(Object.entries(kept).sort()), null, 1)}\n`)
console.log(`${CATALOG_FILE}: ${Object.keys(kept).join(', ')}`)
