// Run by the release_on_process_exit scenario: takes a seat through the installed package,
// prints its session id, and returns without releasing it. Nothing else is left on the
// event loop, so the process exits by itself (the heartbeat must not keep it alive) and
// the package must give the seat back on the way out.
import { Client } from '@coditect/license'

const options = JSON.parse(process.argv[2])
const lease = await new Client(options).acquire()
console.log(`child-session: ${lease.sessionId}`)
