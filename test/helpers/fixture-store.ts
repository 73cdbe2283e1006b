import {cp, mkdir} from 'node:fs/promises'
import path from 'node:path'

import {tempDir} from './bls-files.js'
import {FIXTURES} from './upstream.js'

/** A raw folder store holding the vendored real data: the BLS pr snapshot and the DataUSA nation population. */
export async function fixtureRaw(): Promise<string> {
  const raw = await tempDir()
  await mkdir(path.join(raw, 'datausa'), {recursive: true})
  await cp(path.join(FIXTURES, 'bls-pr-2024-06-06/files'), path.join(raw, 'bls/pr'), {recursive: true})
  await cp(path.join(FIXTURES, 'datausa/nation-acs1-tesseract.json'), path.join(raw, 'datausa/population.json'))
  return raw
}
