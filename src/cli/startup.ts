/**
 * What bin/run.js does before oclif loads, in one module: answer help from the cache
 * (help-cache.ts), else turn on Node's compile cache (compile-cache.ts).
 */
export {enableCompileCache} from './compile-cache.js'
export {cachedHelp, helpCacheFile} from './help-cache.js'
