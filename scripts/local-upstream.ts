// Serves a stand-in for the BLS directory and the DataUSA API on 127.0.0.1 (the test server),
// so `dataquest run` can be tried without the network:
//   node --import tsx scripts/local-upstream.ts     # prints the flags to pass
// It serves the real snapshot from ../shared/fixtures where present, else small sample files.
import {serveFiles, serveSnapshot, startUpstream} from '../test/helpers/upstream.js'

const upstream = await startUpstream()
if (!(await serveSnapshot(upstream))) serveFiles(upstream)
console.log(`serving ${upstream.files.size} files; Ctrl-C to stop. Try:`)
console.log(`  npx dataquest run --contact you@example.com --bls-url '${upstream.blsUrl}' --population-url '${upstream.populationUrl}'`)
