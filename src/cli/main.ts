/**
 * The CLI's entry as built: bin/run.js runs oclif from here, so the bundle it lands in (see
 * scripts/build.mjs) holds the same @oclif/core that the commands use. The help class is here too
 * (package.json `oclif.helpClass`): loading it costs no file more.
 */
export {execute, flush} from '@oclif/core'
export {default as CachedHelp} from './help.js'
