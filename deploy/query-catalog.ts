import {readFileSync} from 'node:fs'
import path from 'node:path'

import type {FileKind} from '../src/query/sql.js'
import {PROJECT_ROOT} from './functions.js'

/**
 * The file kinds (and columns) of the surveys the stack can declare Glue tables for: Athena needs
 * them at deploy time, where a laptop reads them from the files. Written by `npm run query-catalog`
 * from a mirror; test/deploy-query.test.ts checks pr's against the vendored snapshot.
 */
export type QueryCatalogFile = Record<string, Omit<FileKind, 'survey'>[]>

export const CATALOG_FILE = path.join(PROJECT_ROOT, 'deploy/query-catalog.json')

/** A survey's kinds as the catalog file holds them. */
export function catalogEntries(kinds: readonly FileKind[]): QueryCatalogFile {
  const entries: QueryCatalogFile = {}
  for (const {survey, kind, columns, file} of kinds) (entries[survey] ??= []).push({kind, columns, ...(file ? {file} : {})})
  return entries
}

export const loadQueryCatalog = (): QueryCatalogFile => JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as QueryCatalogFile
