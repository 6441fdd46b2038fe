// @coditect/license: the CODITECT License client for Node.js. A thin wrapper over the
// Rust client (the native module, built with napi-rs): it gives errors their named
// classes, and releases the leases still held when the process exits.
import native from './lib/native.js'

// ---------------------------------------------------------------------------------------
// Errors

/** Every failure of this package: `code` (snake_case, stable), `status`, `details`. */
export class LicenseError extends Error {
  /** The code every instance of this class carries (`null` on LicenseError itself). */
  static code = null

  constructor(message, { code, status = null, details = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = new.target.name
    this.code = code ?? new.target.code ?? 'unknown'
    this.status = status
    this.details = details
  }
}

const classesByCode = new Map()

function pascalCase(code) {
  return code.replace(/(^|_)([a-z0-9])/g, (_, __, c) => c.toUpperCase())
}

/** The class for `code`: a subclass of LicenseError named in PascalCase of the code. */
function errorClass(code) {
  const name = pascalCase(code)
  const cls = { [name]: class extends LicenseError { static code = code } }[name]
  classesByCode.set(code, cls)
  return cls
}

// The list, written once: one class per code of the contract (the server's refusals)...
export const InvalidJson = errorClass('invalid_json')
export const InvalidSignature = errorClass('invalid_signature')
export const Unauthorized = errorClass('unauthorized')
export const InvalidCredentials = errorClass('invalid_credentials')
export const SecondFactorRequired = errorClass('second_factor_required')
export const SecondFactorEnrolmentRequired = errorClass('second_factor_enrolment_required')
export const InvalidSecondFactor = errorClass('invalid_second_factor')
export const Forbidden = errorClass('forbidden')
export const CsrfFailed = errorClass('csrf_failed')
export const SsoRequired = errorClass('sso_required')
export const LicenseSuspended = errorClass('license_suspended')
export const LicenseExpired = errorClass('license_expired')
export const BorrowingDisabled = errorClass('borrowing_disabled')
export const NotFound = errorClass('not_found')
export const LicenseNotFound = errorClass('license_not_found')
export const SessionNotFound = errorClass('session_not_found')
export const ProductNotFound = errorClass('product_not_found')
export const MethodNotAllowed = errorClass('method_not_allowed')
export const NoSeatsAvailable = errorClass('no_seats_available')
export const Conflict = errorClass('conflict')
export const TrialAlreadyUsed = errorClass('trial_already_used')
export const SessionExpired = errorClass('session_expired')
export const SessionReleased = errorClass('session_released')
// Also the client's own code for a well-signed token past its exp (verifyOffline).
export const TokenExpired = errorClass('token_expired')
export const PayloadTooLarge = errorClass('payload_too_large')
export const UnsupportedMediaType = errorClass('unsupported_media_type')
export const ValidationError = errorClass('validation_error')
export const RateLimited = errorClass('rate_limited')
export const InternalError = errorClass('internal_error')
export const ServiceUnavailable = errorClass('service_unavailable')
// ...and the client's own codes.
export const NetworkError = errorClass('network_error')
export const InvalidToken = errorClass('invalid_token')
export const NoJwks = errorClass('no_jwks')
export const HardwareIdUnavailable = errorClass('hardware_id_unavailable')
export const InvalidConfig = errorClass('invalid_config')
export const IoError = errorClass('io_error')
// An answer without the contract's error body (a proxy's 4xx, say).
export const UnexpectedResponse = errorClass('unexpected_response')

/** Every code the native client can report: the contract's, then the client's own. */
export function errorCodes() {
  return [...native.errorCodes(), ...native.clientErrorCodes()]
}

/** The class thrown for `code` (LicenseError for a code this package does not know). */
export function errorClassFor(code) {
  return classesByCode.get(code) ?? LicenseError
}

// A code the native client knows and this file does not would reach applications as a
// bare LicenseError; say so once, at load (the package's tests fail on it).
const unnamed = errorCodes().filter((c) => !classesByCode.has(c))
if (unnamed.length > 0) {
  process.emitWarning(`@coditect/license: no error class for ${unnamed.join(', ')}`)
}

function fromNative(e) {
  let body
  try {
    body = JSON.parse(e?.message)
  } catch {
    return e // not the client's (an argument napi refused): as it is
  }
  if (body === null || typeof body !== 'object' || typeof body.code !== 'string') return e
  const cls = errorClassFor(body.code)
  return new cls(body.message, { code: body.code, status: body.status ?? null, details: body.details ?? null })
}

function call(f) {
  try {
    return f()
  } catch (e) {
    throw fromNative(e)
  }
}

async function callAsync(f) {
  try {
    return await f()
  } catch (e) {
    throw fromNative(e)
  }
}

function invalid(message) {
  return new InvalidConfig(message, { code: 'invalid_config' })
}

// ---------------------------------------------------------------------------------------
// Leases still held when the process exits are released: synchronously, since nothing
// asynchronous runs in an 'exit' listener, within a few seconds in all.

const EXIT_RELEASE_BUDGET_MS = 5000
const EXIT_RELEASE_EACH_MS = 3000
const held = new Set()
let exitHooked = false

function hold(lease) {
  held.add(lease)
  if (!exitHooked) {
    exitHooked = true
    process.on('exit', releaseHeldSync)
  }
}

function releaseHeldSync() {
  const deadline = Date.now() + EXIT_RELEASE_BUDGET_MS
  for (const lease of held) {
    const left = deadline - Date.now()
    if (left <= 0) break
    try {
      lease._releaseSync(Math.min(left, EXIT_RELEASE_EACH_MS))
    } catch {
      // exiting: nothing to report to
    }
  }
  held.clear()
}

// ---------------------------------------------------------------------------------------
// Lease

const STATES = ['active', 'grace', 'lost', 'released']
const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')

function milliseconds(ms, what) {
  if (typeof ms !== 'number' || !(ms >= 0)) throw invalid(`${what} must be a number of milliseconds >= 0`)
  return Math.min(Math.ceil(ms), 0xffffffff)
}

/** A held seat: heartbeats in the background, fails over, rides out outages in grace. */
export class Lease {
  #native

  /** @internal made by Client.acquire */
  constructor(nativeLease) {
    this.#native = nativeLease
    hold(this)
  }

  /** 'active' | 'grace' | 'lost' | 'released' */
  get state() {
    return this.#native.state
  }
  /** null, or why the lease was lost: 'expired', 'forced', or the refusal's error code. */
  get lostReason() {
    return this.#native.lostReason ?? null
  }
  /** null, or the token's exp (Unix seconds) while in grace. */
  get graceUntil() {
    return this.#native.graceUntil ?? null
  }
  /** Whether the seat may be used now: active, or in grace before the token's exp. */
  get isUsable() {
    return this.#native.isUsable
  }
  get sessionId() {
    return this.#native.sessionId
  }
  /** The latest signed token (verifiable offline with client.verifyOffline). */
  get token() {
    return this.#native.token
  }
  get entitlements() {
    return this.#native.entitlements
  }
  /** The seat as the server last granted it (its JSON body). */
  get seat() {
    return this.#native.seat
  }
  hasEntitlement(name) {
    return this.#native.hasEntitlement(String(name))
  }

  /** Heartbeats now; resolves with the refreshed seat. */
  async heartbeat() {
    return callAsync(() => this.#native.heartbeat())
  }

  /** Stops heartbeating and gives the seat back; resolves with the server's answer. */
  async release() {
    held.delete(this)
    return callAsync(() => this.#native.release())
  }

  /** For `await using`: releases the seat unless that already happened or it was lost. */
  async [asyncDispose]() {
    const state = this.state
    if (state === 'released') {
      held.delete(this)
      return
    }
    try {
      await this.release()
    } catch (e) {
      if (state !== 'lost') throw e // a lost seat is gone already
    }
  }

  /** Resolves with the state once it is one of `states`, or with the state at the timeout. */
  async waitForState(states, timeoutMs = 30000) {
    const wanted = Array.isArray(states) ? states.map(String) : [String(states)]
    const bad = wanted.find((s) => !STATES.includes(s))
    if (bad !== undefined) throw invalid(`unknown lease state ${JSON.stringify(bad)} (one of ${STATES.join(', ')})`)
    const ms = milliseconds(timeoutMs, 'timeoutMs')
    return callAsync(() => this.#native.waitForState(wanted, ms))
  }

  /**
   * Calls `callback(state, lease)` at each change of state until the lease is lost or
   * released; returns a function that stops the calls. Keeps no process alive.
   */
  onStateChange(callback) {
    if (typeof callback !== 'function') throw invalid('onStateChange needs a function')
    let on = true
    call(() =>
      this.#native.onStateChange((state) => {
        if (on) callback(state, this)
      }),
    )
    return () => {
      on = false
    }
  }

  /** @internal the synchronous release of the process's exit */
  _releaseSync(timeoutMs) {
    held.delete(this)
    const state = this.#native.state
    if (state === 'released' || state === 'lost') return true
    return this.#native.releaseSync(milliseconds(timeoutMs, 'timeoutMs'))
  }

  toJSON() {
    return { sessionId: this.sessionId, state: this.state, lostReason: this.lostReason, graceUntil: this.graceUntil }
  }
}

// ---------------------------------------------------------------------------------------
// Client

/** A token checked offline against the cached JWKS. */
export class VerifiedToken {
  constructor({ claims, sessionId, hardwareId, expiresAt }) {
    this.claims = claims
    this.sessionId = sessionId
    this.hardwareId = hardwareId
    this.expiresAt = expiresAt
  }
  get entitlements() {
    return [...this.claims.ent]
  }
  hasEntitlement(name) {
    return this.claims.ent.includes(String(name))
  }
}

const OPTIONAL_STRINGS = ['hardwareId', 'userEmail', 'appVersion', 'jwksCache', 'issuer']

function nativeOptions(options) {
  if (options === null || typeof options !== 'object') throw invalid('new Client needs an options object')
  const out = {}
  for (const k of ['serverUrl', 'licenseKey', 'product']) {
    if (typeof options[k] !== 'string' || options[k] === '') throw invalid(`${k} must be a non-empty string`)
    out[k] = options[k]
  }
  for (const k of OPTIONAL_STRINGS) {
    if (options[k] === undefined || options[k] === null) continue
    if (typeof options[k] !== 'string') throw invalid(`${k} must be a string`)
    out[k] = options[k]
  }
  if (options.fallbackUrls !== undefined && options.fallbackUrls !== null) {
    if (!Array.isArray(options.fallbackUrls) || !options.fallbackUrls.every((u) => typeof u === 'string')) {
      throw invalid('fallbackUrls must be an array of strings')
    }
    out.fallbackUrls = [...options.fallbackUrls]
  }
  if (options.requestTimeoutMs !== undefined && options.requestTimeoutMs !== null) {
    out.requestTimeoutMs = milliseconds(options.requestTimeoutMs, 'requestTimeoutMs')
  }
  return out
}

/** A client for one license on one service (its addresses tried in order). */
export class Client {
  #native

  constructor(options) {
    const opts = nativeOptions(options)
    this.#native = call(() => new native.NativeClient(opts))
  }

  /** The hardware id this client acquires with. */
  get hardwareId() {
    return this.#native.hardwareId
  }

  /** Where the JWKS for offline verification is cached (null: nowhere). */
  get jwksCachePath() {
    return this.#native.jwksCachePath ?? null
  }

  /** Takes a seat (waiting up to `waitSeconds`, at most 300, when the license is full). */
  async acquire({ waitSeconds = 0 } = {}) {
    if (typeof waitSeconds !== 'number' || !(waitSeconds >= 0)) throw invalid('waitSeconds must be a number >= 0')
    const wait = Math.min(Math.ceil(waitSeconds), 300)
    const n = await callAsync(() => this.#native.acquire(wait))
    return new Lease(n)
  }

  /** Acquires, runs `fn(lease)`, and releases the seat however `fn` ends. */
  async withLease(fn, options) {
    const lease = await this.acquire(options)
    try {
      return await fn(lease)
    } finally {
      await lease[asyncDispose]()
    }
  }

  /** Checks a token's signature, license, installation and expiry with no network. */
  verifyOffline(token) {
    if (typeof token !== 'string') throw new InvalidToken('the token must be a string', { code: 'invalid_token' })
    return new VerifiedToken(call(() => this.#native.verifyOffline(token)))
  }

  /** Fetches the server's JWKS into the cache (acquire does it when a key is new). */
  async refreshJwks() {
    await callAsync(() => this.#native.refreshJwks())
  }
}
