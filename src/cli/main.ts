/**
 * The CLI's entry as built: bin/run.js runs oclif from here, so the bundle it lands in (see
 * scripts/build.mjs) holds the same @oclif/core that the commands use.
 */
export {execute} from '@oclif/core'
