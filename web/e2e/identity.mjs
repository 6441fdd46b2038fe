// End-to-end tests of identity, run by run.mjs: single sign-on through the pages of a real
// OpenID provider (tests/oidc-provider, panva's oidc-provider on loopback), an unknown
// e-mail turned away with its reason, a tenant requiring SSO, TOTP enrolment from the
// account page and a sign-in that asks for the code, and the trusted-issuers page. Writes
// docs/screenshots/sso-*.png, totp-enrolment.png and trusted-issuers.png.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { check, screenshot, WEB_DIR } from './harness.mjs';

const DOCS_SHOTS = path.resolve(WEB_DIR, '../docs/screenshots');
const PROVIDER = path.resolve(WEB_DIR, '../tests/oidc-provider/provider.mjs');
export const SSO_CLIENT = { id: 'coditect-dashboard', secret: 'e2eClientSecret1' };

async function docsScreenshot(page, name) {
  mkdirSync(DOCS_SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(DOCS_SHOTS, `${name}.png`), fullPage: true });
  await screenshot(page, name);
}

/** Starts the test OpenID provider; resolves with its issuer and control API. */
export async function startProvider() {
  const child = spawn(process.execPath, [PROVIDER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const log = [];
  child.stderr.on('data', (d) => { log.push(d.toString()); if (log.length > 200) log.shift(); });
  const first = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (c) => reject(new Error(`the provider exited (${c}): ${log.join('')} (npm ci --prefix tests/oidc-provider?)`)));
  });
  const { issuer } = JSON.parse(first);
  const control = async (p, body) => {
    const r = await fetch(`${issuer}/__test/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`provider ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return { issuer, control, log: () => log.join(''), stop: () => { child.stdin.end(); child.kill('SIGTERM'); } };
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) as an authenticator app computes it, from a base32 secret. */
export function totpCode(secretB32, unixSeconds = Date.now() / 1000) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretB32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

/** Adds the identity tests to the run. */
export async function identityTests({ t, person, page, S, D, call, bearer, idp, need, viewer, password }) {
  await t.test('TOTP test vector (RFC 6238 appendix B) matches the test\'s authenticator', async () => {
    check(totpCode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59) === '287082', 'RFC 6238 vector');
  });

  await t.test('single sign-on through the provider\'s pages signs an existing user in (screenshots)', async () => {
    await idp.control('accounts', { sub: 'vera-1', email: viewer, email_verified: true, name: 'Vera Viewer' });
    const p = await person('sso');
    await p.page.goto(`${D}/login?next=${encodeURIComponent('/account')}`);
    const button = p.page.getByTestId('sso-local');
    await button.waitFor();
    check((await button.textContent()).includes('Sign in with Test IdP'), 'button text');
    await docsScreenshot(p.page, 'sso-sign-in');
    await button.click();
    await p.page.locator('#email').waitFor();
    check(p.page.url().startsWith(idp.issuer), `at the provider: ${p.page.url()}`);
    await p.page.locator('#email').fill(viewer);
    await p.page.locator('#password').fill('anything');
    await docsScreenshot(p.page, 'sso-provider');
    await p.page.locator('#sign-in').click();
    await p.page.waitForURL(`${D}/account`);
    await p.page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    const me = await p.page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
    check(me.user.email === viewer, `signed in as ${me.user?.email}`);
    await screenshot(p.page, 'sso-signed-in');
  });

  await t.test('an e-mail with no account is turned away with its reason', async () => {
    await idp.control('accounts', { sub: 'stranger-1', email: 'stranger@nowhere.test', email_verified: true, name: 'Stranger' });
    const p = await person('stranger');
    await p.page.goto(`${D}/login`);
    await p.page.getByTestId('sso-local').click();
    await p.page.locator('#email').fill('stranger@nowhere.test');
    await p.page.locator('#sign-in').click();
    await p.page.waitForURL(/sso_error=no_account/);
    await p.page.getByText('There is no account for this e-mail address').waitFor();
    const me = await p.page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
    check(me === 401, `nobody signed in: ${me}`);
    await docsScreenshot(p.page, 'sso-error');
  });

  await t.test('a tenant that requires SSO refuses its members\' passwords', async () => {
    const acme = need('acme');
    await page.goto(`${D}/t/${acme}/people`);
    const sw = page.getByRole('switch');
    await sw.waitFor();
    // A controlled switch: it turns once the server has answered.
    await sw.click();
    await page.getByText('Members sign in only through a single sign-on provider').waitFor();
    await screenshot(page, 'sso-required');
    const refused = await call('POST', '/api/v1/auth/login', { email: viewer, password });
    check(refused.status === 403 && refused.body.error.code === 'sso_required', `password: ${refused.status} ${JSON.stringify(refused.body)}`);
    const p = await person('viewer-pw');
    await p.page.goto(`${D}/login`);
    await p.page.getByLabel('E-mail').fill(viewer);
    await p.page.getByLabel('Password').fill(password);
    await p.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await p.page.getByText('Your organisation requires single sign-on').waitFor();
    await sw.click();
    await page.getByText('Members may sign in with their password').waitFor();
    const back = await call('POST', '/api/v1/auth/login', { email: viewer, password });
    check(back.status === 200, `password again: ${back.status}`);
  });

  await t.test('TOTP enrolment on the account page, then the sign-in asks for a code (screenshot)', async () => {
    const p = await person('totp');
    await p.page.goto(`${D}/login`);
    await p.page.getByLabel('E-mail').fill(viewer);
    await p.page.getByLabel('Password').fill(password);
    await p.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await p.page.getByRole('heading', { name: 'Licenses' }).waitFor();
    await p.page.goto(`${D}/account`);
    await p.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await p.page.getByTestId('totp-secret').textContent()).trim();
    await p.page.locator('svg').first().waitFor();
    const used = totpCode(secret);
    await p.page.locator('#totp-enrol-code').fill(used);
    await docsScreenshot(p.page, 'totp-enrolment');
    await p.page.getByRole('button', { name: 'Turn on' }).click();
    const codes = p.page.getByTestId('recovery-codes');
    await codes.waitFor();
    check((await codes.locator('li').count()) === 10, 'ten recovery codes');
    await screenshot(p.page, 'recovery-codes');
    await p.page.getByRole('button', { name: 'I have saved them' }).click();

    const q = await person('totp-again');
    await q.page.goto(`${D}/login`);
    await q.page.getByLabel('E-mail').fill(viewer);
    await q.page.getByLabel('Password').fill(password);
    await q.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await q.page.locator('#totp-code').fill(used);
    await q.page.getByRole('button', { name: 'Verify' }).click();
    await q.page.getByText('That code is not right', { exact: false }).waitFor();
    await q.page.locator('#totp-code').fill(totpCode(secret, Date.now() / 1000 + 30));
    await q.page.getByRole('button', { name: 'Verify' }).click();
    await q.page.getByRole('heading', { name: 'Licenses' }).waitFor();
    await screenshot(q.page, 'totp-signed-in');
  });

  await t.test('trusted issuers page: register the provider, see it listed (screenshot)', async () => {
    const acme = need('acme');
    await page.goto(`${D}/t/${acme}/trusted-issuers`);
    await page.getByRole('button', { name: 'Add issuer' }).click();
    const form = page.getByRole('form', { name: 'Add trusted issuer' });
    await form.locator('input[name="issuer"]').fill(idp.issuer);
    await form.locator('input[name="audience"]').fill('https://licensing.acme.test');
    await form.locator('input[name="jwks_url"]').fill(`${idp.issuer}/jwks`);
    await form.locator('input[name="role_claim"]').fill('coditect_role');
    await form.getByLabel('Claim value 1').fill('deployer');
    await form.getByRole('button', { name: 'Add issuer' }).click();
    await page.getByRole('cell', { name: 'https://licensing.acme.test' }).waitFor();
    await docsScreenshot(page, 'trusted-issuers');
    const list = await call('GET', `/api/v1/tenants/${acme}/trusted-issuers`, undefined, { bearer });
    check(list.body.items.length === 1 && list.body.items[0].roles.deployer, `listed: ${JSON.stringify(list.body)}`);
    // A real machine token of the provider acts on the tenant.
    await idp.control('clients', { client_id: 'deployer', client_secret: 'deployerSecret1', redirect_uris: ['http://127.0.0.1:9/cb'], extra_claims: { coditect_role: 'deployer' } });
    const tok = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('deployer:deployerSecret1').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://licensing.acme.test', scope: 'api' }),
    }).then((r) => r.json());
    const read = await call('GET', `/api/v1/tenants/${acme}/licenses`, undefined, { bearer: tok.access_token });
    check(read.status === 200, `JWT reads the tenant: ${read.status} ${JSON.stringify(read.body)}`);
  });
}
