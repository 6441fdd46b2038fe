#!/usr/bin/env node
// Self-check for provider.mjs: starts it as a child process and drives a full
// authorization-code + PKCE login the way the Rust tests do (manual redirects, a tiny
// cookie jar, form-urlencoded POST), then exercises every /__test/ control endpoint.
//
//   node tests/oidc-provider/selfcheck.mjs        (exit code 0 = all checks passed)

import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT_ID = 'selfcheck-client';
const CLIENT_SECRET = 'selfcheck-secret';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const ACCOUNT = {
  sub: 'user-42', email: 'alice@example.test', email_verified: true, name: 'Alice Example',
};

let failures = 0;
let passes = 0;
function check(cond, label, extra) {
  if (cond) {
    passes += 1;
    console.log(`ok   - ${label}`);
  } else {
    failures += 1;
    console.log(`FAIL - ${label}${extra === undefined ? '' : `: ${typeof extra === 'string' ? extra : JSON.stringify(extra)}`}`);
  }
  return cond;
}

// --- start the provider -------------------------------------------------------------------
const child = spawn(process.execPath, [path.join(here, 'provider.mjs')], {
  stdio: ['pipe', 'pipe', 'pipe'],
});
let stderrBuf = '';
child.stderr.on('data', (d) => { stderrBuf += d; });
const { issuer } = await new Promise((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error(`provider did not start:\n${stderrBuf}`)), 15000);
  child.stdout.on('data', (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl !== -1) {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch (err) {
        reject(new Error(`bad first stdout line ${JSON.stringify(buf.slice(0, nl))}: ${err.message}`));
      }
    }
  });
  child.once('exit', (code) => reject(new Error(`provider exited early (${code}):\n${stderrBuf}`)));
});
console.log(`# provider up at ${issuer}`);
check(/^http:\/\/127\.0\.0\.1:\d+$/.test(issuer), 'issuer line format');

function finish() {
  console.log(`# ${passes} passed, ${failures} failed`);
  if (failures) console.log(`# provider stderr:\n${stderrBuf}`);
  child.stdin.end(); // closing stdin must make the provider exit
  const killTimer = setTimeout(() => {
    console.log('FAIL - provider did not exit after stdin closed');
    child.kill('SIGKILL');
    process.exit(1);
  }, 5000);
  child.once('exit', () => {
    clearTimeout(killTimer);
    console.log('ok   - provider exited after stdin closed');
    process.exit(failures ? 1 : 0);
  });
}

// --- tiny HTTP client with a cookie jar ---------------------------------------------------
class Jar {
  cookies = new Map(); // name -> { value, path }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let cookiePath = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') cookiePath = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === 'secure') throw new Error(`cookie ${name} has Secure flag (breaks over http)`);
      }
      const key = `${name}@${cookiePath}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path: cookiePath });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers);
  const cookie = jar?.header(url);
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar?.store(res);
  return res;
}

async function control(pathname, body) {
  const res = await fetch(`${issuer}${pathname}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${pathname} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const setCookies = (res) => {
  const list = res.headers.getSetCookie().map((c) => {
    const name = c.split('=')[0];
    const p = /path=([^;]*)/i.exec(c)?.[1] ?? '/';
    const gone = /expires=Thu, 01 Jan 1970/i.test(c) ? ' (cleared)' : '';
    return `${name}@${p.replace(/\/[A-Za-z0-9_-]{20,}/, '/:uid')}${gone}`;
  });
  return list.length ? ` [set-cookie ${list.join(' ')}]` : '';
};

const b64u = (buf) => Buffer.from(buf).toString('base64url');

/** Runs the browser part of the code flow; returns { code, state, nonce, verifier, location }. */
let formChecked = false;
async function authorize(discovery, jar, {
  email = ACCOUNT.email, expectLoginForm = true, clientId = CLIENT_ID, trace, extraParams = {},
} = {}) {
  const verifier = b64u(crypto.randomBytes(32));
  const challenge = b64u(crypto.createHash('sha256').update(verifier).digest());
  const state = b64u(crypto.randomBytes(12));
  const nonce = b64u(crypto.randomBytes(12));
  const auth = new URL(discovery.authorization_endpoint);
  auth.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extraParams,
  }).toString();

  let url = auth.href;
  let sawLoginForm = false;
  for (let hop = 0; hop < 10; hop += 1) {
    const res = await request(jar, url);
    trace?.push(`GET ${new URL(url).pathname} -> ${res.status}${setCookies(res)}`);
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location'), url).href;
      if (location.startsWith(REDIRECT_URI)) {
        const q = new URL(location).searchParams;
        check(expectLoginForm === sawLoginForm, `login form ${expectLoginForm ? 'was' : 'was not'} shown before the callback redirect`);
        return {
          code: q.get('code'), state: q.get('state'), iss: q.get('iss'), sentState: state, nonce, verifier, location,
        };
      }
      url = location;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || !html.includes('id="sign-in"')) {
      throw new Error(`unexpected ${res.status} at ${url}: ${html.slice(0, 500)}`);
    }
    sawLoginForm = true;
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!formChecked) {
      formChecked = true;
      check(html.includes('Test identity provider'), 'login page title');
      check(/name="email" id="email"/.test(html) && /type="password" name="password" id="password"/.test(html), 'login form fields');
      check(/^\/interaction\/[^/]+\/login$/.test(action ?? ''), 'form action is /interaction/:uid/login', action);
      // unknown email first: must re-render with an error (HTTP 200)
      const bad = await request(jar, new URL(action, url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'nobody@example.test', password: 'x' }).toString(),
      });
      const badHtml = await bad.text();
      check(bad.status === 200 && badHtml.includes('id="error"') && badHtml.includes('id="sign-in"'), 'unknown email re-renders form with error', bad.status);
    }

    const post = await request(jar, new URL(action, url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, password: 'whatever' }).toString(),
    });
    trace?.push(`POST ${new URL(action, url).pathname} -> ${post.status}${setCookies(post)}`);
    if (post.status < 300 || post.status >= 400) {
      throw new Error(`login POST returned ${post.status}: ${(await post.text()).slice(0, 500)}`);
    }
    url = new URL(post.headers.get('location'), url).href;
  }
  throw new Error('too many redirects');
}

async function exchange(discovery, { code, verifier }, { auth = 'basic', clientId = CLIENT_ID } = {}) {
  const form = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;
  } else {
    form.set('client_id', clientId);
    form.set('client_secret', CLIENT_SECRET);
  }
  const res = await fetch(discovery.token_endpoint, { method: 'POST', headers, body: form.toString() });
  const json = await res.json();
  if (!res.ok) throw new Error(`token endpoint ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function verifies(token, jwks, options = {}) {
  try {
    return await jose.jwtVerify(token, jwks, options);
  } catch (err) {
    return { error: err };
  }
}

try {
  check((await control('/__test/health')).ok === true, 'health');
  check((await control('/__test/clients', {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    extra_claims: { tenant_id: 'tenant-7', roles: ['admin'] },
  })).ok === true, 'register client');
  check((await control('/__test/accounts', ACCOUNT)).ok === true, 'register account');

  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  check(discovery.issuer === issuer, 'discovery issuer', discovery.issuer);
  check(discovery.code_challenge_methods_supported?.includes('S256'), 'discovery S256');

  // --- plain login -----------------------------------------------------------------------
  const jar = new Jar();
  const trace = [];
  const a1 = await authorize(discovery, jar, { trace });
  console.log(`# redirect chain: ${trace.join(', ')} -> callback`);
  check(a1.location.startsWith(`${REDIRECT_URI}?`) && a1.code, 'redirected to callback with code', a1.location);
  check(a1.state === a1.sentState, 'state passed through');
  check(a1.iss === issuer, 'RFC 9207 iss parameter on callback', a1.iss);
  const t1 = await exchange(discovery, a1);
  check(typeof t1.id_token === 'string' && typeof t1.access_token === 'string', 'token response has id_token and access_token');
  const jwks = jose.createRemoteJWKSet(new URL(discovery.jwks_uri));
  const v1 = await verifies(t1.id_token, jwks, { issuer, audience: CLIENT_ID });
  check(!v1.error, 'id_token verifies against JWKS (iss, aud)', v1.error?.message);
  if (v1.payload) {
    check(v1.payload.nonce === a1.nonce, 'nonce passed through');
    check(v1.payload.sub === ACCOUNT.sub, 'sub');
    check(v1.payload.email === ACCOUNT.email && v1.payload.email_verified === true && v1.payload.name === ACCOUNT.name, 'email, email_verified, name in id_token', v1.payload);
    check(v1.protectedHeader.alg === 'RS256', 'RS256 id_token');
    console.log(`# id_token lifetime: ${v1.payload.exp - v1.payload.iat}s`);
    console.log(`# id_token header: ${JSON.stringify(v1.protectedHeader)}`);
    console.log(`# id_token claims: ${Object.keys(v1.payload).sort().join(' ')}`);
    console.log(`# token response fields: ${Object.keys(t1).sort().join(' ')}`);
  }
  // PKCE is enforced: replaying without the right verifier fails
  const bad = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: a1.code, redirect_uri: REDIRECT_URI, code_verifier: 'x'.repeat(43), client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    }).toString(),
  });
  check(bad.status === 400, 'reused code / wrong verifier rejected', bad.status);

  // SSO: same jar, second authorization goes straight to the callback
  const a1b = await authorize(discovery, jar, { expectLoginForm: false });
  check(!!a1b.code, 'existing session: straight redirect with code');
  const t1b = await exchange(discovery, a1b, { auth: 'post' });
  check(typeof t1b.id_token === 'string', 'client_secret_post works');

  // same session, another client: consent prompt is granted automatically (no page)
  await control('/__test/clients', {
    client_id: 'second-client', client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI], id_token_signed_response_alg: 'ES256',
  });
  const trace2 = [];
  const a1c = await authorize(discovery, jar, { expectLoginForm: false, clientId: 'second-client', trace: trace2 });
  console.log(`# redirect chain (session, new client): ${trace2.join(', ')} -> callback`);
  check(!!a1c.code, 'existing session + new client: auto-consent, redirect with code', trace2.join(', '));
  const a1d = await authorize(discovery, jar, { expectLoginForm: true, extraParams: { prompt: 'login' } });
  check(!!a1d.code, 'prompt=login with existing session shows the login form again');
  const t1c = await exchange(discovery, a1c, { clientId: 'second-client' });
  const v1c = await verifies(t1c.id_token, jwks, { issuer, audience: 'second-client' });
  check(!v1c.error && v1c.protectedHeader.alg === 'ES256', 'ES256 id_token for a client registered with id_token_signed_response_alg ES256', v1c.error?.message);

  // --- tamper aud (provider key) ---------------------------------------------------------
  await control('/__test/tamper', { claims: { aud: 'other' }, key: 'provider' });
  const t2 = await exchange(discovery, await authorize(discovery, new Jar()));
  const v2 = await verifies(t2.id_token, jwks);
  check(!v2.error && v2.payload.aud === 'other', 'tampered aud=other still verifies with JWKS', v2.error?.message ?? v2.payload?.aud);
  check(v2.payload?.email === ACCOUNT.email, 'tampered token keeps the other claims');
  // one-shot
  const t2b = await exchange(discovery, await authorize(discovery, new Jar()));
  check(jose.decodeJwt(t2b.id_token).aud === CLIENT_ID, 'tamper is one-shot');

  // removal via null
  await control('/__test/tamper', { claims: { nonce: null, exp: Math.floor(Date.now() / 1000) - 600 } });
  const t2c = await exchange(discovery, await authorize(discovery, new Jar()));
  const p2c = jose.decodeJwt(t2c.id_token);
  check(!('nonce' in p2c) && p2c.exp < Date.now() / 1000, 'tamper null removes claim, exp overridable');

  // --- tamper with foreign key -----------------------------------------------------------
  await control('/__test/tamper', { claims: {}, key: 'foreign' });
  const t3 = await exchange(discovery, await authorize(discovery, new Jar()));
  const v3 = await verifies(t3.id_token, jwks);
  check(!!v3.error, 'foreign-key id_token does NOT verify', v3.error?.code);
  const kid3 = jose.decodeProtectedHeader(t3.id_token).kid;
  const published = (await (await fetch(discovery.jwks_uri)).json()).keys.map((k) => k.kid);
  check(!published.includes(kid3), 'foreign kid not in JWKS');

  // --- rotation ---------------------------------------------------------------------------
  const oldJwks = (await (await fetch(discovery.jwks_uri)).json());
  const { kid: newKid } = await control('/__test/rotate', {});
  const t4 = await exchange(discovery, await authorize(discovery, new Jar()));
  const h4 = jose.decodeProtectedHeader(t4.id_token);
  check(h4.kid === newKid && h4.alg === 'RS256', 'after rotate: id_token has new kid', h4);
  const cachedOld = jose.createLocalJWKSet(oldJwks);
  check(!!(await verifies(t4.id_token, cachedOld)).error, 'after rotate: old cached JWKS cannot verify');
  const newJwksDoc = await (await fetch(discovery.jwks_uri)).json();
  check(newJwksDoc.keys[0].kid === newKid && newJwksDoc.keys.length === oldJwks.keys.length + 1, 'rotated key published first, old keys kept');
  const v4 = await verifies(t4.id_token, jose.createLocalJWKSet(newJwksDoc), { issuer, audience: CLIENT_ID });
  check(!v4.error, 'after rotate: verifies with refetched JWKS', v4.error?.message);
  const t4b = await exchange(discovery, await authorize(discovery, new Jar()));
  check(jose.decodeProtectedHeader(t4b.id_token).kid === newKid, 'rotation is persistent');

  // --- client_credentials with resource --------------------------------------------------
  const ccRes = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://api.example.test', scope: 'licenses:read' }).toString(),
  });
  const cc = await ccRes.json();
  check(ccRes.ok && typeof cc.access_token === 'string', 'client_credentials token', cc);
  if (ccRes.ok) {
    const vcc = await verifies(cc.access_token, jose.createLocalJWKSet(newJwksDoc), {
      issuer, audience: 'https://api.example.test', typ: 'at+jwt',
    });
    check(!vcc.error, 'client_credentials JWT access token verifies (aud=resource, iss, typ at+jwt)', vcc.error?.message);
    check(vcc.payload?.sub === CLIENT_ID && vcc.payload?.client_id === CLIENT_ID, 'access token sub/client_id = client', vcc.payload);
    check(vcc.payload?.tenant_id === 'tenant-7' && vcc.payload?.roles?.[0] === 'admin', 'extra claims in access token', vcc.payload);
    check(vcc.payload?.scope === 'licenses:read', 'requested scope in access token', vcc.payload?.scope);
    console.log(`# client_credentials access token header: ${JSON.stringify(vcc.protectedHeader)}, claims: ${Object.keys(vcc.payload ?? {}).sort().join(' ')}`);
  }

  // --- mint -----------------------------------------------------------------------------
  const { token: minted } = await control('/__test/mint', { claims: { iss: issuer, aud: 'https://api.example.test', sub: 'svc', exp: Math.floor(Date.now() / 1000) + 300 } });
  const vm = await verifies(minted, jose.createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer, audience: 'https://api.example.test' });
  check(!vm.error && typeof vm.payload.iat === 'number' && vm.protectedHeader.alg === 'RS256' && vm.protectedHeader.kid === newKid, 'minted JWT verifies with JWKS (current key, iat added)', vm.error?.message);
  const { token: mintedForeign } = await control('/__test/mint', { claims: { sub: 'svc' }, key: 'foreign' });
  check(!!(await verifies(mintedForeign, jose.createLocalJWKSet(newJwksDoc))).error, 'foreign minted JWT does NOT verify');

  // --- control API validation -------------------------------------------------------------
  const badClient = await fetch(`${issuer}/__test/clients`, { method: 'POST', body: '{"client_id":"x"}' });
  check(badClient.status === 400, 'control API rejects bad input with 400');
} catch (err) {
  check(false, 'unexpected exception', err.stack);
}

finish();
