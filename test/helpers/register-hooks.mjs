// Loaded by tap before each test file (.taprc node-arg). tap runs src/ through its ts-node fork,
// whose ESM resolver predates exports patterns with a suffix ("./src/*.js"): imports of
// `hyparquet/src/….js` (hyparquet-writer's) and `hyparquet-writer/src/….js` (src/reports/parquet.ts)
// fail there with ERR_PACKAGE_PATH_NOT_EXPORTED, though Node and esbuild resolve them. This hook,
// registered after ts-node's and so asked first, resolves them.
import {register} from 'node:module'

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const match = /^(hyparquet(?:-writer)?)\\/(src\\/.*)$/.exec(specifier)
  if (!match) return next(specifier, context)
  const main = await next(match[1], context)
  return {url: new URL(match[2], new URL('..', main.url)).href, shortCircuit: true}
}`)}`,
)
