// The SDK scenarios of tests/sdk/scenarios.txt for the Node package, one test per id,
// each against a testbed of its own (tests/sdk/testbed.py: a real server behind two relays).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { Client, InvalidToken, LicenseError } from '@coditect/license'

import { jwtPayload, sleep, withTestbed } from '../test-support/testbed.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const nowSecs = () => Date.now() / 1000
const time = (s) => Date.parse(s)

/** Polls `f` every 50 ms until it is truthy or `ms` have passed; returns its last value. */
async function eventually(ms, f) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v || Date.now() >= deadline) return v
    await sleep(50)
  }
}

/** Releases whatever the test still holds, quietly (the testbed may be gone already). */
async function releaseAll(...leases) {
  for (const l of leases) await l?.release().catch(() => {})
}

test('acquire', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1, entitlements: ['export'] })
    const lease = await new Client(bed.options(lic.key, 'node-hw-acquire')).acquire()
    try {
      assert.equal(lease.state, 'active')
      assert.equal(lease.isUsable, true)
      assert.equal(lease.lostReason, null)
      assert.equal(lease.graceUntil, null)
      assert.equal(lease.hasEntitlement('export'), true)
      assert.equal(lease.hasEntitlement('import'), false)
      assert.deepEqual(lease.entitlements, ['export'])
      assert.equal(typeof lease.token, 'string')
      assert.equal(lease.token.split('.').length, 3, 'a JWS compact token')
      assert.equal(lease.seat.session_id, lease.sessionId)
      assert.equal(lease.seat.license_id, lic.id)
      assert.equal(await bed.seatsUsed(lic.id), 1)
    } finally {
      await releaseAll(lease)
    }
  }))

test('heartbeat_beyond_ttl', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1, heartbeat_ttl_seconds: 3 })
    const lease = await new Client(bed.options(lic.key, 'node-hw-beat')).acquire()
    try {
      const sid = lease.sessionId
      const before = await bed.session(sid)
      await sleep(4500)
      const after = await bed.session(sid)
      assert.equal(lease.sessionId, sid, 'the same session')
      assert.equal(lease.state, 'active')
      assert.equal(after.status, 'active')
      assert.ok(time(after.expires_at) > time(before.expires_at), 'expires_at moved on')
      assert.ok(time(after.last_heartbeat_at) > time(before.last_heartbeat_at), 'heartbeats were made')
      assert.ok(time(after.expires_at) > Date.now(), 'still live past the first TTL')
    } finally {
      await releaseAll(lease)
    }
  }))

test('server_restart', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1, heartbeat_ttl_seconds: 6 })
    const lease = await new Client(bed.options(lic.key, 'node-hw-restart')).acquire()
    try {
      const sid = lease.sessionId
      await bed.post('/server/restart')
      assert.equal(lease.isUsable, true, 'usable through the restart')
      const seat = await lease.heartbeat()
      assert.equal(seat.session_id, sid)
      assert.equal(lease.sessionId, sid)
      assert.equal(lease.state, 'active')
      assert.equal(await bed.seatsUsed(lic.id), 1)
    } finally {
      await releaseAll(lease)
    }
  }))

test('forced_release', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1, heartbeat_ttl_seconds: 3 })
    const client = new Client(bed.options(lic.key, 'node-hw-forced'))
    const lease = await client.acquire()
    let again
    try {
      const seen = []
      lease.onStateChange((s) => seen.push(s))
      await bed.post(`/sessions/${lease.sessionId}/force-release`)
      assert.equal(await lease.waitForState('lost', 5000), 'lost')
      assert.equal(lease.lostReason, 'forced')
      assert.equal(lease.isUsable, false)
      assert.equal(await bed.seatsUsed(lic.id), 0, 'the lease did not retake the seat')
      await eventually(1000, () => seen.length > 0)
      assert.deepEqual(seen, ['lost'], 'onStateChange was told')
      again = await client.acquire()
      assert.equal(again.state, 'active')
      assert.notEqual(again.sessionId, lease.sessionId)
      assert.equal(await bed.seatsUsed(lic.id), 1)
    } finally {
      await releaseAll(lease, again)
    }
  }))

test('expiry_reacquire', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1, heartbeat_ttl_seconds: 3 })
    const lease = await new Client(bed.options(lic.key, 'node-hw-expiry')).acquire()
    try {
      const sid = lease.sessionId
      await bed.post(`/sessions/${sid}/expire`)
      const moved = await eventually(5000, () => lease.sessionId !== sid)
      assert.ok(moved, `no re-acquire within 5 s: ${lease.state}`)
      assert.equal(lease.state, 'active')
      assert.equal(lease.isUsable, true)
      assert.equal((await bed.session(lease.sessionId)).status, 'active')
      assert.equal(await bed.seatsUsed(lic.id), 1)
    } finally {
      await releaseAll(lease)
    }
  }))

test('release_on_scope_exit', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1 })
    const client = new Client(bed.options(lic.key, 'node-hw-scope'))

    // withLease: the scope is the callback; the seat goes back however it ends.
    let inside
    const result = await client.withLease(async (lease) => {
      inside = lease
      assert.equal(await bed.seatsUsed(lic.id), 1)
      return 'done'
    })
    assert.equal(result, 'done')
    assert.equal(inside.state, 'released')
    assert.equal(await bed.seatsUsed(lic.id), 0)
    assert.equal((await bed.session(inside.sessionId)).status, 'released')

    let thrown
    await assert.rejects(
      client.withLease(async (lease) => {
        thrown = lease
        throw new Error('the app failed')
      }),
      /the app failed/,
    )
    assert.equal(thrown.state, 'released')
    assert.equal(await bed.seatsUsed(lic.id), 0, 'released when the callback threw')

    // Symbol.asyncDispose: what `await using lease = await client.acquire()` calls.
    const lease = await client.acquire()
    assert.equal(typeof lease[Symbol.asyncDispose], 'function')
    assert.equal(await bed.seatsUsed(lic.id), 1)
    await lease[Symbol.asyncDispose]()
    assert.equal(lease.state, 'released')
    assert.equal(lease.isUsable, false)
    assert.equal(await bed.seatsUsed(lic.id), 0)
    assert.equal((await bed.session(lease.sessionId)).status, 'released')
    await lease[Symbol.asyncDispose]() // a second dispose is harmless
  }))

test('release_on_process_exit', () =>
  withTestbed(async (bed) => {
    // A short TTL: the lease heartbeats every second, so a heartbeat that kept the
    // event loop alive would keep the child from exiting.
    const lic = await bed.license({ seats_total: 1, heartbeat_ttl_seconds: 3 })
    const options = bed.options(lic.key, 'node-hw-child')
    const child = spawn(process.execPath, [path.join(here, '..', 'test-support', 'hold-lease.mjs'), JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const started = Date.now()
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve('killed')
      }, 15000)
      child.on('exit', (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    assert.equal(code, 0, `the child did not exit by itself:\n${stdout}\n${stderr}`)
    assert.ok(Date.now() - started < 10000, 'the child exited promptly')
    const sid = /^child-session: (\S+)$/m.exec(stdout)?.[1]
    assert.ok(sid, `the child took no seat:\n${stdout}\n${stderr}`)
    assert.equal(await bed.seatsUsed(lic.id), 0, 'the seat went with the process')
    assert.equal((await bed.session(sid)).status, 'released')
  }))

test('offline_verify', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1, entitlements: ['export'] })
    const options = bed.options(lic.key, 'node-hw-offline')
    const lease = await new Client(options).acquire() // caches the JWKS
    try {
      const token = lease.token
      await bed.post('/server/stop')
      // A fresh client, as after the application restarted, with no server to ask.
      const offline = new Client(options)
      const v = offline.verifyOffline(token)
      assert.equal(v.sessionId, lease.sessionId)
      assert.equal(v.hardwareId, 'node-hw-offline')
      assert.equal(v.hasEntitlement('export'), true)
      assert.equal(v.hasEntitlement('import'), false)
      assert.deepEqual(v.entitlements, ['export'])
      assert.equal(v.expiresAt, jwtPayload(token).exp)
      assert.equal(v.claims.sub, lease.sessionId)

      const [head, payload, sig] = token.split('.')
      const i = Math.floor(sig.length / 2)
      const tampered = `${head}.${payload}.${sig.slice(0, i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}`
      assert.throws(
        () => offline.verifyOffline(tampered),
        (e) => e instanceof InvalidToken && e instanceof LicenseError && e.code === 'invalid_token' && e.status === null,
      )
    } finally {
      await releaseAll(lease)
    }
  }))

test('failover_second_url', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 2, heartbeat_ttl_seconds: 3 })
    const lease = await new Client(bed.options(lic.key, 'node-hw-failover', { fallback: true })).acquire()
    let other
    try {
      const sid = lease.sessionId
      await bed.post('/relays/primary/down')
      const before = await bed.session(sid)
      await sleep(2500) // more than two heartbeat intervals (1 s)
      const after = await bed.session(sid)
      assert.equal(lease.state, 'active', 'no grace: the second address answered')
      assert.equal(lease.sessionId, sid)
      assert.ok(time(after.last_heartbeat_at) > time(before.last_heartbeat_at), 'heartbeats went on')
      const second = new Client(bed.options(lic.key, 'node-hw-failover-2', { fallback: true, cache: 'jwks-2.json' }))
      other = await second.acquire()
      assert.equal(other.state, 'active')
      assert.equal(await bed.seatsUsed(lic.id), 2)
    } finally {
      await releaseAll(lease, other)
    }
  }))

test('grace_until_exp', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1, heartbeat_ttl_seconds: 3 })
    const lease = await new Client(bed.options(lic.key, 'node-hw-grace', { fallback: true })).acquire()
    try {
      const seen = []
      lease.onStateChange((s) => seen.push(s))
      await bed.post('/relays/primary/down')
      await bed.post('/relays/secondary/down')
      assert.equal(await lease.waitForState('grace', 3000), 'grace')
      const exp = jwtPayload(lease.token).exp
      assert.equal(lease.graceUntil, exp, "grace lasts until the token's exp")
      assert.equal(lease.lostReason, null)
      if (nowSecs() < exp) assert.equal(lease.isUsable, true, 'usable in grace')
      assert.equal(await lease.waitForState(['lost', 'released'], 6000), 'lost')
      const lostAt = nowSecs()
      assert.equal(lease.lostReason, 'expired')
      assert.equal(lease.isUsable, false)
      assert.equal(lease.graceUntil, null)
      assert.ok(lostAt >= exp - 1, `lost ${(exp - lostAt).toFixed(2)} s before exp`)
      assert.ok(lostAt <= exp + 1.5, `grace outlasted exp by ${(lostAt - exp).toFixed(2)} s`)
      await eventually(1000, () => seen.includes('lost'))
      assert.deepEqual(seen, ['grace', 'lost'], 'onStateChange was told of grace, then of the loss')
    } finally {
      await releaseAll(lease)
    }
  }))
