// Serves a stand-in for the BLS directory and the DataUSA API on 127.0.0.1 (the test server),
// so `dataquest run` can be tried without the network:
//   node --import tsx scripts/local-upstream.ts     # prints the flags to pass
// It serves the real BLS `pr` snapshot vendored in fixtures/.
import {serveSnapshot, startUpstream} from '../test/helpers/upstream.js'

const upstream = await startUpstream()
await serveSnapshot(upstream)
console.log(`serving ${upstream.files.size} files; Ctrl-C to stop. Try:`)
console.log(`  npx dataquest run --contact you@example.com --bls-url '${upstream.blsUrl}' --population-url '${upstream.populationUrl}'`)
