// Loaded by tap before each test file (.taprc node-arg). tap runs src/ through its ts-node fork,
// whose ESM resolver predates exports patterns with a suffix ("./src/*.js"): hyparquet-writer's
// imports of `hyparquet/src/….js` fail there with ERR_PACKAGE_PATH_NOT_EXPORTED, though Node and
// esbuild resolve them. This hook, registered after ts-node's and so asked first, resolves them.
import {register} from 'node:module'

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (!specifier.startsWith('hyparquet/src/')) return next(specifier, context)
  const main = await next('hyparquet', context)
  return {url: new URL(specifier.slice('hyparquet/'.length), new URL('..', main.url)).href, shortCircuit: true}
}`)}`,
)
