// The Node side of tests/sdk/testbed.py: starts one testbed (a real server behind two
// relays, with a control API) per test and calls its control API.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
/** The testbed script: CODITECT_TESTBED, else the repository's, relative to this file. */
export const TESTBED = process.env.CODITECT_TESTBED ?? path.resolve(here, '../../../tests/sdk/testbed.py')

function firstLine(child, ms) {
  return new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => done(new Error(`the testbed printed nothing within ${ms} ms`)), ms)
    const onData = (chunk) => {
      buf += chunk
      const nl = buf.indexOf('\n')
      if (nl >= 0) done(null, buf.slice(0, nl))
    }
    const onExit = (code) => done(new Error(`the testbed exited (${code}) before it started: ${buf}`))
    function done(err, line) {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.off('exit', onExit)
      child.stdout.resume() // drain whatever follows
      if (err) reject(err)
      else resolve(line)
    }
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', onData)
    child.on('exit', onExit)
  })
}

export class Testbed {
  constructor(child, control, dir) {
    this.child = child
    this.control = control
    /** A temporary folder of this test's own (JWKS caches). */
    this.dir = dir
  }

  /** Starts a testbed with the server CODITECT_SERVER_BIN names. */
  static async start() {
    const bin = process.env.CODITECT_SERVER_BIN
    if (!bin) throw new Error('set CODITECT_SERVER_BIN to the coditect-license binary')
    const child = spawn('python3', [TESTBED, '--server-bin', bin], { stdio: ['pipe', 'pipe', 'inherit'] })
    const line = await firstLine(child, 60000).catch((e) => {
      child.kill()
      throw e
    })
    const bed = new Testbed(child, JSON.parse(line).control, mkdtempSync(path.join(tmpdir(), 'coditect-node-sdk-')))
    const urls = await bed.get('/urls')
    bed.primary = urls.primary
    bed.secondary = urls.secondary
    bed.direct = urls.direct
    return bed
  }

  /** Ends the testbed (closing its stdin) and waits for it to go. */
  async close() {
    const exited = new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve()
      else this.child.once('exit', resolve)
    })
    this.child.stdin.end()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20000)
    await exited
    clearTimeout(timer)
    rmSync(this.dir, { recursive: true, force: true })
  }

  async call(method, p, body) {
    const res = await fetch(this.control + p, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`testbed ${method} ${p}: ${res.status} ${text}`)
    return text ? JSON.parse(text) : null
  }

  get(p) {
    return this.call('GET', p)
  }

  post(p, body = {}) {
    return this.call('POST', p, body)
  }

  /** A license with these fields: `{ key, id }`. */
  async license(fields) {
    const r = await this.post('/licenses', fields)
    return { key: r.license_key, id: r.license_id }
  }

  async seatsUsed(licenseId) {
    return (await this.get(`/licenses/${licenseId}`)).seats_used
  }

  session(sessionId) {
    return this.get(`/sessions/${sessionId}`)
  }

  /** Client options for this testbed: the primary address (and the secondary). */
  options(key, hardwareId, { fallback = false, cache = 'jwks.json' } = {}) {
    return {
      serverUrl: this.primary,
      fallbackUrls: fallback ? [this.secondary] : undefined,
      licenseKey: key,
      product: 'sdk-scenarios',
      hardwareId,
      jwksCache: path.join(this.dir, cache),
      appVersion: '0.0.0-test',
    }
  }
}

/** Runs `fn(bed)` with a testbed of its own, ended however `fn` ends. */
export async function withTestbed(fn) {
  const bed = await Testbed.start()
  try {
    return await fn(bed)
  } finally {
    await bed.close()
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** The payload of a JWS compact token. */
export function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
}
