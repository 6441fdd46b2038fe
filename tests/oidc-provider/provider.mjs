#!/usr/bin/env node
// Test-only OpenID Connect provider for the CODITECT License Server test suites.
//
// A real, certified OP (panva/oidc-provider) with server-rendered login pages and a
// JSON control API under /__test/ so Rust integration tests (crates/cli/tests) and
// Playwright tests can register clients/accounts at runtime and provoke failure modes
// (tampered id_tokens, foreign signing keys, key rotation, minted JWTs).
//
//   node tests/oidc-provider/provider.mjs [--port N] [--ignore-stdin]
//
// stdout: exactly one line once listening: {"issuer":"http://127.0.0.1:PORT","port":PORT}
// stderr: everything else (logs, oidc-provider notices).
// Exits when stdin closes (unless --ignore-stdin), on SIGTERM and on SIGINT.
// NOT FOR PRODUCTION USE: any password is accepted and the control API is unauthenticated.

import * as http from 'node:http';
import * as util from 'node:util';

// oidc-provider prints some notices with console.info (stdout). stdout is reserved for the
// single JSON line, so route every console method to stderr before loading it.
for (const m of ['log', 'info', 'debug']) {
  console[m] = (...args) => process.stderr.write(`${util.format(...args)}\n`);
}

const { default: Provider } = await import('oidc-provider');
const jose = await import('jose');

// ---------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------
function parseArgs(argv) {
  const opts = { port: 0, ignoreStdin: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--port') {
      opts.port = Number(argv[(i += 1)]);
    } else if (a.startsWith('--port=')) {
      opts.port = Number(a.slice('--port='.length));
    } else if (a === '--ignore-stdin') {
      opts.ignoreStdin = true;
    } else if (a === '--help' || a === '-h') {
      process.stderr.write('usage: node provider.mjs [--port N] [--ignore-stdin]\n');
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument: ${a}\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    process.stderr.write('--port must be an integer 0..65535\n');
    process.exit(2);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...args) => process.stderr.write(`[oidc-test-provider] ${util.format(...args)}\n`);

// ---------------------------------------------------------------------------------------
// Lifecycle: die with the parent
// ---------------------------------------------------------------------------------------
function shutdown(reason) {
  log(`shutting down (${reason})`);
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (!opts.ignoreStdin) {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.on('data', () => {}); // discard anything written to us
  process.stdin.resume();
}

// ---------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------
async function newSigningKey(alg, kidPrefix) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);
  const thumb = await jose.calculateJwkThumbprint(publicJwk);
  const kid = `${kidPrefix}-${thumb.slice(0, 16)}`;
  const privateJwk = { ...(await jose.exportJWK(privateKey)), kid, alg, use: 'sig' };
  return {
    alg, kid, privateKey, privateJwk, publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
  };
}

const rsaKey = await newSigningKey('RS256', 'rs256');
const ecKey = await newSigningKey('ES256', 'es256');
const initialKeys = [rsaKey, ecKey];
/** Keys created by POST /__test/rotate, newest first. Published in front of the JWKS. */
const rotatedKeys = [];
/** The RSA key the harness re-signs/mints with: newest rotated key, else the initial one. */
const currentRsaKey = () => rotatedKeys[0] ?? rsaKey;
const keyByKid = (kid) => [...rotatedKeys, ...initialKeys].find((k) => k.kid === kid);

// ---------------------------------------------------------------------------------------
// In-memory state
// ---------------------------------------------------------------------------------------
/** sub -> account */
const accountsBySub = new Map();
/** client_id -> extra access-token claims */
const extraClaimsByClient = new Map();
/** one-shot tamper instruction for the next token response containing an id_token */
let pendingTamper = null;

// Unbounded in-memory adapter (the built-in one is an LRU capped at 1000 entries, which a
// long test run could evict clients from). Same semantics as oidc-provider's MemoryAdapter.
const store = new Map(); // key -> { payload, expiresAt }
const uidIndex = new Map(); // session uid -> session id
const userCodeIndex = new Map(); // user code -> id
const grantIndex = new Map(); // grantId -> Set<key>
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

function storeGet(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.payload;
}

class TestAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    store.set(key, { payload, expiresAt });
    if (this.model === 'Session' && payload.uid) uidIndex.set(payload.uid, id);
    if (payload.userCode) userCodeIndex.set(payload.userCode, id);
    if (GRANTABLE.has(this.model) && payload.grantId) {
      if (!grantIndex.has(payload.grantId)) grantIndex.set(payload.grantId, new Set());
      grantIndex.get(payload.grantId).add(key);
    }
  }

  async find(id) {
    return storeGet(this.key(id));
  }

  async findByUid(uid) {
    const id = uidIndex.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = userCodeIndex.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = storeGet(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantIndex.get(grantId) ?? []) store.delete(key);
    grantIndex.delete(grantId);
  }
}

// ---------------------------------------------------------------------------------------
// Listen first (port 0 => the issuer depends on the port), then build the provider
// ---------------------------------------------------------------------------------------
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(opts.port, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const ALL_SCOPES = 'openid email profile';

const configuration = {
  adapter: TestAdapter,
  clients: [], // all clients are registered at runtime via POST /__test/clients
  jwks: { keys: initialKeys.map((k) => k.privateJwk) },
  cookies: {
    // No cookie signing keys => no extra "*.sig" cookies (fewer moving parts for simple test
    // HTTP clients). The Secure flag is only set when the request is https, so over http on
    // 127.0.0.1 the cookies are plain `HttpOnly; SameSite=Lax`.
    keys: [],
  },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // put scope-implied claims (email, email_verified, name) into the id_token as well
  conformIdTokenClaims: false,
  clientDefaults: {
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  pkce: {
    required: () => true, // S256 is the only method oidc-provider v9 supports
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? undefined,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (ctx, resourceIndicator) => ({
        // every requested scope is accepted for any resource
        scope: ctx.oidc.params?.scope ? String(ctx.oidc.params.scope) : '',
        audience: resourceIndicator,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: async (_ctx, token) => {
    const extra = extraClaimsByClient.get(token.clientId);
    return extra ? { ...extra } : undefined;
  },
  findAccount: async (_ctx, sub) => {
    const account = accountsBySub.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        email: account.email,
        email_verified: account.email_verified,
        name: account.name,
      }),
    };
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 120,
    ClientCredentials: 3600,
    DeviceCode: 600,
    Grant: 86400,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 86400,
    Session: 86400,
  },
  renderError: async (ctx, out, error) => {
    log('renderError', out, error?.stack ?? '');
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Error</h1>${Object.entries(out)
      .map(([k, v]) => `<p><strong>${esc(k)}</strong>: <span id="${esc(k)}">${esc(v)}</span></p>`)
      .join('')}`);
  },
};

const provider = new Provider(issuer, configuration);

for (const ev of ['server_error', 'authorization.error', 'grant.error', 'introspection.error',
  'revocation.error', 'userinfo.error', 'jwks.error', 'discovery.error', 'end_session.error']) {
  provider.on(ev, (_ctx, err) => log(`${ev}: ${err?.name}: ${err?.message}${err?.error_description ? ` (${err.error_description})` : ''}`));
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------
function esc(value) {
  return String(value ?? '')
    .replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

function page(title, inner) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} - Test identity provider</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}label,input,button{display:block;margin:.4rem 0}input{width:100%}.error{color:#b00020}</style>
</head>
<body>
${inner}
</body>
</html>
`;
}

async function readBody(ctx, limit = 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > limit) ctx.throw(413, 'body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(ctx) {
  const text = await readBody(ctx);
  if (!text.trim()) return {};
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('JSON body must be an object');
    }
    return value;
  } catch (err) {
    throw new BadInput(`invalid JSON body: ${err.message}`);
  }
}

async function readForm(ctx) {
  return Object.fromEntries(new URLSearchParams(await readBody(ctx)));
}

class BadInput extends Error {}

function requireString(body, name) {
  if (typeof body[name] !== 'string' || body[name] === '') {
    throw new BadInput(`"${name}" must be a non-empty string`);
  }
  return body[name];
}

function optionalObject(body, name) {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new BadInput(`"${name}" must be an object`);
  return v;
}

function keyChoice(body) {
  const key = body.key ?? 'provider';
  if (key !== 'provider' && key !== 'foreign') throw new BadInput('"key" must be "provider" or "foreign"');
  return key;
}

async function signWith(key, payload, header = {}) {
  return new jose.SignJWT(payload)
    .setProtectedHeader({ ...header, alg: key.alg, kid: key.kid })
    .sign(key.privateKey);
}

function mergeClaims(original, patch) {
  const out = { ...original };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Grants everything the interaction asked for (no consent screen). Returns the grantId. */
async function autoGrant(interaction, accountId) {
  const { params, prompt } = interaction;
  let grant;
  if (interaction.grantId) grant = await provider.Grant.find(interaction.grantId);
  if (!grant) grant = new provider.Grant({ accountId, clientId: params.client_id });

  const requested = new Set(String(params.scope ?? '').split(' ').filter(Boolean));
  const oidcScopes = [...requested].filter((s) => ['openid', 'email', 'profile', 'offline_access'].includes(s));
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));

  if (params.claims) {
    try {
      const claims = typeof params.claims === 'string' ? JSON.parse(params.claims) : params.claims;
      const names = new Set([...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})]);
      if (names.size) grant.addOIDCClaims([...names]);
    } catch { /* ignore malformed claims parameter; the provider rejects it anyway */ }
  }

  const resources = params.resource === undefined ? [] : [].concat(params.resource);
  for (const resource of resources) {
    if (requested.size) grant.addResourceScope(resource, [...requested].join(' '));
  }

  const d = prompt?.details ?? {};
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  if (d.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  return grant.save();
}

function loginPage(uid, interaction, { email = '', error } = {}) {
  return page('Sign in', `<h1>Test identity provider</h1>
<p>Sign in to continue to <code id="client-id">${esc(interaction.params.client_id)}</code>.</p>
${error ? `<p class="error" id="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="email">Email</label>
<input type="text" inputmode="email" name="email" id="email" value="${esc(email)}" autofocus>
<label for="password">Password (anything)</label>
<input type="password" name="password" id="password">
<button type="submit" id="sign-in">Sign in</button>
</form>`);
}

function findAccountByEmail(email) {
  const needle = String(email ?? '').trim().toLowerCase();
  for (const account of accountsBySub.values()) {
    if (account.email.toLowerCase() === needle) return account;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Interaction routes (login page) -- run before oidc-provider's own router
// ---------------------------------------------------------------------------------------
const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/;

provider.use(async (ctx, next) => {
  const m = INTERACTION.exec(ctx.path);
  if (!m) return next();
  const [, uid, isLogin] = m;
  ctx.set('Cache-Control', 'no-store');

  let interaction;
  try {
    interaction = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    log(`interaction ${uid}: ${err.name}: ${err.error_description ?? err.message}`);
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Test identity provider</h1><p class="error" id="error" role="alert">interaction not found or expired (${esc(err.error_description ?? err.message)}); start over from the application</p>`);
    return undefined;
  }
  if (interaction.uid !== uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error', '<p class="error" id="error" role="alert">interaction mismatch (cookie belongs to another interaction)</p>');
    return undefined;
  }

  const promptName = interaction.prompt?.name;

  if (!isLogin && ctx.method === 'GET') {
    if (promptName === 'login') {
      ctx.type = 'html';
      ctx.body = loginPage(uid, interaction);
      return undefined;
    }
    // consent (or anything else): grant everything automatically, no screen
    const accountId = interaction.session?.accountId;
    const grantId = await autoGrant(interaction, accountId);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } });
    ctx.status = 303;
    ctx.redirect(returnTo);
    return undefined;
  }

  if (isLogin && ctx.method === 'POST') {
    const form = await readForm(ctx);
    const account = findAccountByEmail(form.email);
    if (!account) {
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = loginPage(uid, interaction, {
        email: form.email ?? '',
        error: `Unknown email address: ${form.email ?? ''}`,
      });
      return undefined;
    }
    const grantId = await autoGrant(interaction, account.sub);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: account.sub, remember: true },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    log(`login ok: ${account.email} (sub ${account.sub}) for client ${interaction.params.client_id}`);
    ctx.status = 303;
    ctx.redirect(returnTo);
    return undefined;
  }

  ctx.status = 405;
  ctx.body = 'method not allowed';
  return undefined;
});

// ---------------------------------------------------------------------------------------
// Control API under /__test/
// ---------------------------------------------------------------------------------------
const CLIENT_PASSTHROUGH = ['id_token_signed_response_alg', 'token_endpoint_auth_method',
  'post_logout_redirect_uris', 'scope', 'grant_types', 'response_types'];

const control = {
  'GET /__test/health': async () => ({ ok: true }),

  'POST /__test/clients': async (body) => {
    const clientId = requireString(body, 'client_id');
    const clientSecret = requireString(body, 'client_secret');
    if (!Array.isArray(body.redirect_uris) || body.redirect_uris.some((u) => typeof u !== 'string')) {
      throw new BadInput('"redirect_uris" must be an array of strings');
    }
    const extra = optionalObject(body, 'extra_claims');
    const metadata = {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: body.redirect_uris,
      grant_types: ['authorization_code', 'client_credentials'],
      response_types: body.redirect_uris.length ? ['code'] : [],
      token_endpoint_auth_method: 'client_secret_basic',
    };
    for (const k of CLIENT_PASSTHROUGH) if (body[k] !== undefined) metadata[k] = body[k];
    try {
      await provider.Client.validate(metadata);
    } catch (err) {
      throw new BadInput(`invalid client metadata: ${err.error_description ?? err.message}`);
    }
    await provider.Client.adapter.upsert(clientId, metadata);
    if (extra) extraClaimsByClient.set(clientId, extra);
    else extraClaimsByClient.delete(clientId);
    log(`client registered: ${clientId} -> ${body.redirect_uris.join(', ')}`);
    return { ok: true };
  },

  'POST /__test/accounts': async (body) => {
    const sub = requireString(body, 'sub');
    const email = requireString(body, 'email');
    const account = {
      sub,
      email,
      email_verified: body.email_verified === undefined ? true : Boolean(body.email_verified),
      name: typeof body.name === 'string' ? body.name : email,
    };
    // email is unique: drop any other account holding the same email
    for (const [s, a] of accountsBySub) {
      if (s !== sub && a.email.toLowerCase() === email.toLowerCase()) accountsBySub.delete(s);
    }
    accountsBySub.set(sub, account);
    log(`account registered: ${email} (sub ${sub})`);
    return { ok: true };
  },

  'POST /__test/tamper': async (body) => {
    const claims = optionalObject(body, 'claims') ?? {};
    pendingTamper = { claims, key: keyChoice(body) };
    log(`tamper armed: key=${pendingTamper.key} claims=${JSON.stringify(claims)}`);
    return { ok: true };
  },

  'POST /__test/rotate': async () => {
    const key = await newSigningKey('RS256', `rotated${rotatedKeys.length + 1}`);
    rotatedKeys.unshift(key);
    log(`rotated: new kid ${key.kid}`);
    return { ok: true, kid: key.kid };
  },

  'POST /__test/mint': async (body) => {
    const claims = optionalObject(body, 'claims') ?? {};
    const header = optionalObject(body, 'header') ?? {};
    const payload = { ...claims };
    if (payload.iat === undefined) payload.iat = Math.floor(Date.now() / 1000);
    const key = keyChoice(body) === 'foreign' ? await newSigningKey('RS256', 'foreign') : currentRsaKey();
    return { token: await signWith(key, payload, header) };
  },
};

provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/__test/')) return next();
  const handler = control[`${ctx.method} ${ctx.path}`];
  ctx.set('Cache-Control', 'no-store');
  if (!handler) {
    ctx.status = 404;
    ctx.body = { ok: false, error: `no such control endpoint: ${ctx.method} ${ctx.path}` };
    return undefined;
  }
  try {
    const body = ctx.method === 'POST' ? await readJson(ctx) : {};
    ctx.body = await handler(body);
  } catch (err) {
    ctx.status = err instanceof BadInput ? 400 : 500;
    ctx.body = { ok: false, error: err.message };
    if (!(err instanceof BadInput)) log(`control ${ctx.path} failed:`, err);
  }
  return undefined;
});

// ---------------------------------------------------------------------------------------
// Response rewriting: JWKS (rotated keys first) and id_tokens (tamper / rotation)
// ---------------------------------------------------------------------------------------
const JWKS_PATH = provider.pathFor('jwks');
const TOKEN_PATH = provider.pathFor('token');

provider.use(async (ctx, next) => {
  await next();

  if (ctx.path === JWKS_PATH && ctx.status === 200 && ctx.body && Array.isArray(ctx.body.keys)) {
    if (rotatedKeys.length) {
      ctx.body = { keys: [...rotatedKeys.map((k) => k.publicJwk), ...ctx.body.keys] };
    }
    return;
  }

  if (ctx.path !== TOKEN_PATH || ctx.method !== 'POST' || ctx.status !== 200) return;
  const body = ctx.body;
  if (!body || typeof body !== 'object' || typeof body.id_token !== 'string') return;

  const tamper = pendingTamper;
  if (!tamper && !rotatedKeys.length) return;

  const original = body.id_token;
  const header = jose.decodeProtectedHeader(original);
  // rotation only concerns RSA: ES256 id_tokens (client opted in) keep their EC key
  if (!tamper && header.alg !== 'RS256') return;
  pendingTamper = null;

  let payload = jose.decodeJwt(original);
  let key;
  if (tamper) {
    payload = mergeClaims(payload, tamper.claims);
    if (tamper.key === 'foreign') key = await newSigningKey(header.alg === 'ES256' ? 'ES256' : 'RS256', 'foreign');
    else key = header.alg === 'RS256' ? currentRsaKey() : keyByKid(header.kid);
  } else {
    key = currentRsaKey();
  }
  const { alg: _a, kid: _k, ...restHeader } = header;
  ctx.body = { ...body, id_token: await signWith(key, payload, restHeader) };
  log(`id_token re-signed with kid ${key.kid}${tamper ? ` (tamper: ${JSON.stringify(tamper.claims)}, key=${tamper.key})` : ' (rotation)'}`);
});

// ---------------------------------------------------------------------------------------
// Go
// ---------------------------------------------------------------------------------------
server.on('request', provider.callback());
log(`listening on ${issuer} (oidc-provider, RS256 kid ${rsaKey.kid}, ES256 kid ${ecKey.kid})`);
process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
