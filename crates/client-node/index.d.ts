// Types of @coditect/license (hand-written for index.js, the package's public API).

/** Where a lease stands. */
export type LeaseState = 'active' | 'grace' | 'lost' | 'released'

/** Why a lease was lost: grace ran out, an admin released it, or the server's refusal code. */
export type LostReason = 'expired' | 'forced' | (string & {})

export interface ClientOptions {
  /** The license server, e.g. `https://license.example.com`. */
  serverUrl: string
  /** The license key the vendor gave the customer. */
  licenseKey: string
  /** The product name; the default hardware id is hashed with it. */
  product: string
  /** More addresses of the same service, tried in order when the one in use fails. */
  fallbackUrls?: string[]
  /** Overrides the hardware id (else `CODITECT_HARDWARE_ID`, else the machine's id). */
  hardwareId?: string
  /** Who uses the seat, shown to the vendor's admins. */
  userEmail?: string
  /** The application's version, reported with each seat. */
  appVersion?: string
  /** Where the JWKS for offline verification is cached (default: the user's cache dir). */
  jwksCache?: string
  /** The `iss` tokens must carry; any issuer when absent. */
  issuer?: string
  /** Timeout of one HTTP request in milliseconds (default 15000). */
  requestTimeoutMs?: number
}

export interface AcquireOptions {
  /** When the license is full, wait up to this many seconds (at most 300) for a seat. */
  waitSeconds?: number
}

/** A seat as the server grants it (the body of acquire and heartbeat). */
export interface Seat {
  session_id: string
  license_id: string
  tenant_id: string
  status: string
  expires_at: string
  expires_in_seconds: number
  heartbeat_interval_seconds: number
  license_expires_at: string | null
  seats_total: number
  seats_used: number
  entitlements: string[]
  token: string
  server_time: string
  borrowed: boolean
}

/** The server's answer to a release. */
export type Released = Record<string, unknown>

/** The claims of a session token. */
export interface TokenClaims {
  iss: string
  /** The session id. */
  sub: string
  tid: string
  lid: string
  kaud: string
  hwid: string
  ent: string[]
  iat: number
  exp: number
}

/** A token whose signature, license, installation and expiry were checked offline. */
export declare class VerifiedToken {
  readonly claims: TokenClaims
  readonly sessionId: string
  readonly hardwareId: string
  /** The token's exp, Unix seconds. */
  readonly expiresAt: number
  readonly entitlements: string[]
  hasEntitlement(name: string): boolean
}

/** A held seat: heartbeats in the background, fails over, rides out outages in grace. */
export declare class Lease implements AsyncDisposable {
  private constructor()
  readonly state: LeaseState
  /** `null` unless the lease is lost. */
  readonly lostReason: LostReason | null
  /** While in grace: the token's exp (Unix seconds), when the seat stops being usable. */
  readonly graceUntil: number | null
  /** Active, or in grace before the token's exp. */
  readonly isUsable: boolean
  /** The current session (a re-acquire after the server forgot it gets a new one). */
  readonly sessionId: string
  /** The latest signed token. */
  readonly token: string
  readonly entitlements: string[]
  /** The seat as last granted. */
  readonly seat: Seat
  hasEntitlement(name: string): boolean
  /** Heartbeats now; resolves with the refreshed seat. */
  heartbeat(): Promise<Seat>
  /** Stops heartbeating and gives the seat back. */
  release(): Promise<Released>
  /** Resolves with the state once it is one of `states`, or with the state at the timeout. */
  waitForState(states: LeaseState | LeaseState[], timeoutMs?: number): Promise<LeaseState>
  /** Calls `callback` at each change of state; returns a function that stops the calls. */
  onStateChange(callback: (state: LeaseState, lease: Lease) => void): () => void
  /** Releases the seat (what `await using` calls). */
  [Symbol.asyncDispose](): Promise<void>
  toJSON(): { sessionId: string; state: LeaseState; lostReason: LostReason | null; graceUntil: number | null }
}

/** A client for one license on one service. */
export declare class Client {
  constructor(options: ClientOptions)
  /** The hardware id this client acquires with. */
  readonly hardwareId: string
  /** Where the JWKS is cached, or `null`. */
  readonly jwksCachePath: string | null
  /** Takes a seat; the lease heartbeats on its own and is released when the process exits. */
  acquire(options?: AcquireOptions): Promise<Lease>
  /** Acquires, runs `fn(lease)`, and releases the seat however `fn` ends. */
  withLease<T>(fn: (lease: Lease) => T | Promise<T>, options?: AcquireOptions): Promise<T>
  /** Verifies a token against the cached JWKS, with no network. */
  verifyOffline(token: string): VerifiedToken
  /** Fetches the server's JWKS into the cache. */
  refreshJwks(): Promise<void>
}

export interface LicenseErrorOptions {
  code?: string
  status?: number | null
  details?: unknown
  cause?: unknown
}

/** Every failure of this package. */
export declare class LicenseError extends Error {
  /** The code of the class (`null` on LicenseError itself). */
  static readonly code: string | null
  constructor(message: string, options?: LicenseErrorOptions)
  /** The stable snake_case code: the server's for refusals, else the client's own. */
  readonly code: string
  /** The HTTP status of a refusal; `null` for the client's own failures. */
  readonly status: number | null
  /** The refusal's `details` object (e.g. `seats_total` for NoSeatsAvailable). */
  readonly details: any
}

type ErrorClass = typeof LicenseError

// The contract's codes.
export declare const InvalidJson: ErrorClass
export declare const InvalidSignature: ErrorClass
export declare const Unauthorized: ErrorClass
export declare const InvalidCredentials: ErrorClass
export declare const SecondFactorRequired: ErrorClass
export declare const SecondFactorEnrolmentRequired: ErrorClass
export declare const InvalidSecondFactor: ErrorClass
export declare const Forbidden: ErrorClass
export declare const CsrfFailed: ErrorClass
export declare const SsoRequired: ErrorClass
export declare const LicenseSuspended: ErrorClass
export declare const LicenseExpired: ErrorClass
export declare const BorrowingDisabled: ErrorClass
export declare const NotFound: ErrorClass
export declare const LicenseNotFound: ErrorClass
export declare const SessionNotFound: ErrorClass
export declare const ProductNotFound: ErrorClass
export declare const MethodNotAllowed: ErrorClass
export declare const NoSeatsAvailable: ErrorClass
export declare const Conflict: ErrorClass
export declare const TrialAlreadyUsed: ErrorClass
export declare const SessionExpired: ErrorClass
export declare const SessionReleased: ErrorClass
export declare const TokenExpired: ErrorClass
export declare const PayloadTooLarge: ErrorClass
export declare const UnsupportedMediaType: ErrorClass
export declare const ValidationError: ErrorClass
export declare const RateLimited: ErrorClass
export declare const InternalError: ErrorClass
export declare const ServiceUnavailable: ErrorClass
// The client's own codes.
export declare const NetworkError: ErrorClass
export declare const InvalidToken: ErrorClass
export declare const NoJwks: ErrorClass
export declare const HardwareIdUnavailable: ErrorClass
export declare const InvalidConfig: ErrorClass
export declare const IoError: ErrorClass
export declare const UnexpectedResponse: ErrorClass

/** Every code the native client can report: the contract's, then the client's own. */
export declare function errorCodes(): string[]
/** The class thrown for `code` (LicenseError for a code this package does not know). */
export declare function errorClassFor(code: string): ErrorClass
