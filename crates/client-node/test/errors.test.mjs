// The error classes: one per code the native client can report, named in PascalCase of
// the code; and a server's refusal thrown as its named class.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import * as sdk from '@coditect/license'

import { TESTBED, withTestbed } from '../test-support/testbed.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const pascal = (code) => code.replace(/(^|_)([a-z0-9])/g, (_, __, c) => c.toUpperCase())

test('every error code has a class', () => {
  const codes = sdk.errorCodes()
  assert.ok(codes.includes('no_seats_available') && codes.includes('network_error'), 'both lists are there')
  assert.ok(codes.length >= 30)
  for (const code of codes) {
    const cls = sdk[pascal(code)]
    assert.equal(typeof cls, 'function', `no class ${pascal(code)} for ${code}`)
    assert.equal(cls.code, code)
    assert.equal(cls.name, pascal(code))
    assert.equal(sdk.errorClassFor(code), cls)
    const e = new cls('m', { status: 400 })
    assert.ok(e instanceof sdk.LicenseError && e instanceof Error)
    assert.equal(e.code, code)
    assert.equal(e.name, pascal(code))
    assert.equal(e.status, 400)
  }
  for (const name of ['NetworkError', 'InvalidToken', 'TokenExpired', 'NoJwks', 'HardwareIdUnavailable', 'InvalidConfig', 'IoError']) {
    assert.ok(codes.includes(sdk[name].code), `${name} is one of the client's codes`)
  }
  assert.equal(sdk.errorClassFor('a_code_from_a_newer_server'), sdk.LicenseError)
})

test('the scenario file has one test per scenario id', () => {
  const ids = readFileSync(path.join(path.dirname(TESTBED), 'scenarios.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(/\s+/)[0])
  const source = readFileSync(path.join(here, 'scenarios.test.mjs'), 'utf8')
  const tests = [...source.matchAll(/^test\('([a-z_]+)'/gm)].map((m) => m[1])
  assert.deepEqual([...tests].sort(), [...ids].sort())
})

test('a bad configuration throws InvalidConfig', () => {
  assert.throws(
    () => new sdk.Client({ serverUrl: 'ftp://example', licenseKey: 'k', product: 'p', hardwareId: 'h' }),
    (e) => e instanceof sdk.InvalidConfig && e.code === 'invalid_config' && e.status === null,
  )
  assert.throws(() => new sdk.Client({ licenseKey: 'k', product: 'p' }), sdk.InvalidConfig)
})

test('a refusal throws the named class', () =>
  withTestbed(async (bed) => {
    const lic = await bed.license({ seats_total: 1 })
    const first = await new sdk.Client(bed.options(lic.key, 'node-hw-full-1')).acquire()
    try {
      const second = new sdk.Client(bed.options(lic.key, 'node-hw-full-2', { cache: 'jwks-2.json' }))
      await assert.rejects(second.acquire(), (e) => {
        assert.ok(e instanceof sdk.NoSeatsAvailable, `${e?.name}: ${e?.message}`)
        assert.ok(e instanceof sdk.LicenseError)
        assert.equal(e.name, 'NoSeatsAvailable')
        assert.equal(e.code, 'no_seats_available')
        assert.equal(e.status, 409)
        assert.equal(typeof e.message, 'string')
        assert.equal(e.details.seats_total, 1)
        assert.equal(e.details.seats_used, 1)
        return true
      })
      const wrong = new sdk.Client(bed.options(`${lic.key}X`, 'node-hw-wrong-key', { cache: 'jwks-3.json' }))
      await assert.rejects(wrong.acquire(), (e) => e instanceof sdk.LicenseNotFound && e.status === 404)

      const unreachable = new sdk.Client({
        ...bed.options(lic.key, 'node-hw-unreachable'),
        serverUrl: 'http://127.0.0.1:9',
        requestTimeoutMs: 2000,
      })
      await assert.rejects(unreachable.acquire(), (e) => e instanceof sdk.NetworkError && e.status === null)
    } finally {
      await first.release()
    }
    assert.equal(await bed.seatsUsed(lic.id), 0)
  }))
