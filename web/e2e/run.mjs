// End-to-end tests of the dashboard against the real server in Debian's Chromium.
// Builds nothing: run `cargo build -p coditect-license` and `npm run build` first (the
// binary embeds web/dist). Usage: node e2e/run.mjs   (CODITECT_BIN overrides the binary path)
// Prints one line per test and ends with `N passed, M failed`; exits non-zero on failure.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { billingTests, STRIPE_WEBHOOK_SECRET } from './billing.mjs';
import { dashboardTests } from './dashboard.mjs';
import { dayOneFirstTenantTests, dayOneTests } from './dayone.mjs';
import { identityTests, SSO_CLIENT, startProvider } from './identity.mjs';
import { mailTests } from './mail.mjs';
import { outgoingTests } from './outgoing.mjs';
import { supportTests } from './support.mjs';
import { check, eventually, openPerson, runner, screenshot, SHOTS_DIR, startServer, WEB_DIR } from './harness.mjs';
import { linkIn, startSmtp } from './smtp.mjs';
import { staffTests } from './staff.mjs';

const BIN = path.resolve(WEB_DIR, process.env.CODITECT_BIN ?? '../target/debug/coditect-license');
const BOOTSTRAP = randomBytes(24).toString('hex');
const PASSWORD = 'correct horse battery staple';
const STAFF = { name: 'Sam Staff', email: 'sam@vendor.test' };
const VIEWER = 'vera@acme.test';
const GLOBEX_OWNER = 'otto@globex.test';

rmSync(SHOTS_DIR, { recursive: true, force: true });
let smtp;
let server;
let idp;
try {
  smtp = await startSmtp();
  idp = await startProvider();
  server = await startServer({
    bin: BIN,
    env: {
      CODITECT_BOOTSTRAP_TOKEN: BOOTSTRAP,
      CODITECT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      CODITECT_MAIL_FROM: 'CODITECT <noreply@vendor.test>',
      CODITECT_USAGE_SAMPLE_SECONDS: '1',
      CODITECT_REAPER_INTERVAL_SECONDS: '1',
      CODITECT_STRIPE_WEBHOOK_SECRETS: STRIPE_WEBHOOK_SECRET,
      CODITECT_WEBHOOKS_ALLOW_HTTP: 'true',
      CODITECT_WEBHOOK_POLL_MS: '200',
      CODITECT_OIDC_ALLOW_HTTP: 'true',
      CODITECT_OIDC_PROVIDERS: JSON.stringify([{ id: 'local', name: 'Test IdP', issuer: idp.issuer, client_id: SSO_CLIENT.id, client_secret: SSO_CLIENT.secret }]),
    },
  });
  await idp.control('clients', { client_id: SSO_CLIENT.id, client_secret: SSO_CLIENT.secret, redirect_uris: [`${server.base}/api/v1/auth/oidc/local/callback`] });
} catch (e) {
  console.log(`FAIL start: ${e.stack ?? e}`);
  await smtp?.close();
  idp?.stop();
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const S = server.base;
const D = `${S}/dashboard`;
console.log(`server ${BIN} on ${S}; smtp on 127.0.0.1:${smtp.port}`);

/** Calls the JSON API from node, optionally as the superadmin (bearer). */
async function call(method, p, body, { bearer } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const r = await fetch(`${S}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: r.status, body: json, headers: r.headers };
}

/** Calls the API from inside a signed-in page (cookie session), with or without the CSRF token. */
function callInPage(page, method, p, body, { csrf = true } = {}) {
  return page.evaluate(async ({ method, p, body, csrf }) => {
    const headers = { 'content-type': 'application/json' };
    if (csrf) {
      const me = await (await fetch('/api/v1/auth/me')).json();
      headers['x-csrf-token'] = me.csrf_token;
    }
    const r = await fetch(p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let json = null;
    try { json = await r.json(); } catch { /* empty */ }
    return { status: r.status, body: json };
  }, { method, p, body, csrf });
}

const pageErrors = [];
const people = [];
const person = async (label, opts) => { const p = await openPerson(label, opts, pageErrors); people.push(p); return p; };
const t = runner();
const state = {};
const need = (k) => { if (state[k] === undefined) throw new Error(`needs ${k} from an earlier test, which failed`); return state[k]; };

try {
  const staff = await person('staff');
  const page = staff.page;

  await t.test('first-run setup creates the staff account and signs in', async () => {
    await page.goto(`${D}/`);
    await page.getByRole('heading', { name: 'First-run setup' }).waitFor();
    await page.getByLabel('Bootstrap token').fill(BOOTSTRAP);
    await page.getByLabel('Your name').fill(STAFF.name);
    await page.getByLabel('E-mail').fill(STAFF.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await screenshot(page, 'setup');
    await page.getByRole('button', { name: 'Create staff account' }).click();
    await page.getByRole('heading', { name: 'All tenants' }).waitFor();
    const again = await call('POST', '/api/v1/auth/setup', { bootstrap_token: BOOTSTRAP, email: 'x@y.test', name: 'X', password: `${PASSWORD} renewed` });
    check(again.status === 409, `a second setup must be refused with 409, got ${again.status}`);
    const cookie = (await staff.ctx.cookies(S)).find((c) => c.name === 'coditect_session');
    check(cookie, 'no coditect_session cookie');
    check(cookie.httpOnly && cookie.sameSite === 'Lax' && cookie.path === '/', `cookie flags wrong: ${JSON.stringify(cookie)}`);
  });

  await dayOneFirstTenantTests({ t, page, D, state });

  await t.test('staff creates two tenants from the staff view', async () => {
    for (const [name, key] of [['Acme Corp', 'acme'], ['Globex', 'globex']]) {
      await page.goto(`${D}/staff`);
      await page.getByLabel('Tenant name').fill(name);
      await page.getByRole('button', { name: 'Create tenant' }).click();
      await page.waitForURL(/\/dashboard\/t\/[^/]+\/licenses$/);
      state[key] = page.url().split('/t/')[1].split('/')[0];
    }
    check(state.acme !== state.globex, 'two tenants must have two ids');
  });

  await t.test('create a license in the dashboard', async () => {
    const acme = need('acme');
    await page.goto(`${D}/t/${acme}/licenses`);
    await page.getByRole('button', { name: 'New license' }).click();
    const form = page.getByRole('form', { name: 'Create license' });
    await form.getByLabel('Name').fill('Acme CAD');
    await form.getByLabel('Seats').fill('1');
    await form.getByLabel('Entitlements (comma separated)').fill('export, render');
    await form.getByRole('button', { name: 'Create license' }).click();
    await page.waitForURL(/\/licenses\/[0-9a-f-]{36}$/);
    state.license = page.url().split('/licenses/')[1];
    await page.getByRole('button', { name: 'Show' }).click();
    state.key = (await page.getByTestId('license-key').textContent()).trim();
    check(state.key.length >= 16 && !state.key.includes('•'), `license key not shown: ${state.key}`);
    const got = await call('GET', `/api/v1/tenants/${acme}/licenses/${state.license}`, undefined, { bearer: BOOTSTRAP });
    check(got.body.seats_total === 1 && got.body.name === 'Acme CAD', `license as stored: ${JSON.stringify(got.body)}`);
    check(JSON.stringify(got.body.entitlements) === '["export","render"]', `entitlements: ${JSON.stringify(got.body.entitlements)}`);
  });

  await t.test('a seat acquired through the client API appears live, without reload', async () => {
    const key = need('key');
    await page.getByText('No client holds a seat right now.').waitFor();
    await page.evaluate(() => { window.__noReload = true; });
    const r = await call('POST', '/api/v1/licenses/acquire', { license_key: key, hardware_id: 'e2e-host-1', user_email: 'ana@acme.test', client: { name: 'cad', version: '2.1' } });
    check(r.status === 201, `acquire: ${r.status} ${JSON.stringify(r.body)}`);
    state.session = r.body.session_id;
    await page.getByRole('cell', { name: 'ana@acme.test' }).waitFor({ timeout: 6000 });
    await eventually(async () => (await page.getByTestId('seats-gauge').getAttribute('aria-label')) === '1 of 1 seats in use', 6000, 'gauge 1/1');
    check(await page.evaluate(() => window.__noReload === true), 'the page reloaded');
    await screenshot(page, 'license-detail-live');
  });

  await t.test('a second installation is denied (409) while the seat is taken', async () => {
    const r = await call('POST', '/api/v1/licenses/acquire', { license_key: need('key'), hardware_id: 'e2e-host-2' });
    check(r.status === 409 && r.body.error.code === 'no_seats_available', `expected 409 no_seats_available, got ${r.status} ${JSON.stringify(r.body)}`);
  });

  await t.test('force release from the dashboard frees the seat and writes the audit entry', async () => {
    const session = need('session');
    const row = page.getByRole('row').filter({ hasText: 'ana@acme.test' });
    await row.getByRole('button', { name: 'Force release' }).click();
    await row.getByRole('button', { name: 'Release seat' }).click();
    await page.getByText('Released the seat of ana@acme.test').waitFor();
    await page.getByText('No client holds a seat right now.').waitFor();
    const hb = await call('POST', '/api/v1/licenses/heartbeat', { license_key: need('key'), session_id: session });
    check(hb.status === 410 && hb.body.error.code === 'session_released', `heartbeat after force release: ${hb.status} ${JSON.stringify(hb.body)}`);
    await page.goto(`${D}/t/${need('acme')}/audit`);
    const entry = page.locator('article[data-action="session.force_release"]').first();
    await entry.waitFor();
    check((await entry.textContent()).includes(STAFF.email), 'the audit entry names the staff user');
    await entry.getByRole('button').click();
    const diff = entry.getByTestId('diff');
    await diff.waitFor();
    const statusRow = diff.getByRole('row').filter({ hasText: /^status/ });
    check((await statusRow.textContent()).includes('active') && (await statusRow.textContent()).includes('released'), `diff: ${await diff.textContent()}`);
    await screenshot(page, 'audit');
  });

  await t.test('analytics shows the acquire and the denial', async () => {
    await page.goto(`${D}/t/${need('acme')}/analytics?range=1h`);
    await eventually(async () => {
      const peak = Number(await page.getByTestId('stat-peak').textContent());
      const denials = Number(await page.getByTestId('stat-denials').textContent());
      if (peak >= 1 && denials >= 1) return true;
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(1000);
      return false;
    }, 20_000, 'peak ≥ 1 and denials ≥ 1');
    check((await page.getByTestId('chart-denials').locator('rect.chart-bar').count()) >= 1, 'no denial bar drawn');
    await page.getByLabel('License').selectOption(need('license'));
    await eventually(async () => Number(await page.getByTestId('stat-denials').textContent()) >= 1, 8000, 'per-license denials');
    await page.getByLabel('License').selectOption('');
    await page.getByTestId('stat-peak').waitFor();
  });

  await t.test('licenses page: search, status filter, bulk suspend and resume, CSV export', async () => {
    const acme = need('acme');
    const day = 86_400_000;
    for (const [name, expires] of [['Acme Render Farm', Date.now() + 5 * day], ['Acme Viewer', null], ['Acme Legacy', Date.now() + 200 * day]]) {
      const r = await call('POST', `/api/v1/tenants/${acme}/licenses`, { name, seats_total: 10, expires_at: expires && new Date(expires).toISOString() }, { bearer: BOOTSTRAP });
      check(r.status === 201, `create ${name}: ${r.status}`);
    }
    await call('POST', '/api/v1/licenses/acquire', { license_key: need('key'), hardware_id: 'e2e-host-3', user_email: 'bo@acme.test' });
    await page.goto(`${D}/t/${acme}/licenses`);
    const rows = page.getByTestId('licenses-table').locator('tbody tr');
    await eventually(async () => (await rows.count()) === 4, 8000, '4 licenses');
    await page.getByLabel('Search licenses').fill('render');
    await eventually(async () => (await rows.count()) === 1 && (await rows.first().textContent()).includes('Render Farm'), 8000, 'search "render"');
    await page.getByLabel('Search licenses').fill('');
    await page.getByLabel('Expiry').selectOption('7d');
    await eventually(async () => (await rows.count()) === 1, 8000, 'expiring within 7 days');
    await page.getByLabel('Expiry').selectOption('');
    await eventually(async () => (await rows.count()) === 4, 8000, 'all 4 again');
    await page.getByLabel('Select Acme Viewer').check();
    await page.getByLabel('Select Acme Legacy').check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Suspend 2' }).click(); // bulk suspend asks first
    await page.getByText('Suspended 2 licenses.').waitFor();
    await page.getByLabel('Status').selectOption('suspended');
    await eventually(async () => (await rows.count()) === 2, 8000, '2 suspended');
    await page.getByLabel('Select page').check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Resumed 2 licenses.').waitFor();
    let seen = '';
    await eventually(async () => (seen = await rows.first().textContent()).includes('No license matches'), 8000, 'none suspended after resume').catch((e) => { throw new Error(`${e.message}; first row: "${seen}"`); });
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('button', { name: 'Name' }).click();
    await eventually(async () => (await rows.first().textContent()).includes('Acme CAD'), 8000, 'sorted by name');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV (all)' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    check(lines[0] === 'id,name,key_hint,seats_total,seats_used,expires_at,is_active,created_at,state,heartbeat_ttl_seconds,max_borrow_hours,entitlements,metadata', `CSV header: ${lines[0]}`);
    check(lines.length === 5 && !csv.includes(need('key')), `CSV has ${lines.length - 1} rows or leaks the key`);
    await screenshot(page, 'licenses');
  });

  await t.test('analytics page with data (screenshot)', async () => {
    await page.goto(`${D}/t/${need('acme')}/analytics?range=1h`);
    await eventually(async () => Number(await page.getByTestId('stat-peak').textContent()) >= 1, 8000, 'peak');
    await page.getByRole('heading', { name: 'Peak seats per license' }).waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, 'analytics');
  });

  await t.test('invitations by e-mail: a viewer for Acme, an owner for Globex', async () => {
    for (const [tenant, email, role] of [[need('acme'), VIEWER, 'viewer'], [need('globex'), GLOBEX_OWNER, 'owner']]) {
      await page.goto(`${D}/t/${tenant}/people`);
      const form = page.getByRole('form', { name: 'Invite' });
      await form.getByLabel('E-mail to invite').fill(email);
      await form.getByLabel('Role of the invitee').selectOption(role);
      await form.getByRole('button', { name: 'Invite' }).click();
      await page.getByText(`The ${role} invitation for ${email} is queued`).waitFor(); // SMTP configured: goes out in a moment
      const mail = await smtp.waitFor(email, { needle: '/dashboard/accept-invitation?token=' });
      state[`link:${email}`] = linkIn(mail, 'accept-invitation');
      check(state[`link:${email}`].startsWith(`${S}/dashboard/accept-invitation?token=`), `link ${state[`link:${email}`]}`);
    }
    for (const [email, label] of [[VIEWER, 'viewer'], [GLOBEX_OWNER, 'globex']]) {
      const p = await person(label);
      await p.page.goto(state[`link:${email}`]);
      await p.page.getByLabel('Your name').fill(label === 'viewer' ? 'Vera Viewer' : 'Otto Owner');
      await p.page.getByLabel('Choose a password').fill(PASSWORD);
      await p.page.getByLabel('Repeat password').fill(PASSWORD);
      if (label === 'viewer') await screenshot(p.page, 'accept-invite');
      await p.page.getByRole('button', { name: 'Join' }).click();
      await p.page.getByRole('heading', { name: 'Licenses' }).waitFor();
      state[`person:${label}`] = p; // not state[label]: state.globex is the tenant's id
    }
  });

  await t.test('users and tokens: change role, create a token that works, revoke it', async () => {
    const acme = need('acme');
    await page.goto(`${D}/t/${acme}/people`);
    await page.getByTestId('members-table').getByRole('cell', { name: VIEWER }).waitFor(); // the invitations table names her too
    const form = page.getByRole('form', { name: 'Create token' });
    await form.getByLabel('Token name').fill('ci-readonly');
    await form.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token').locator('code').textContent()).trim();
    const ok = await call('GET', `/api/v1/tenants/${acme}/licenses`, undefined, { bearer: secret });
    check(ok.status === 200 && ok.body.items.length === 4, `new token reads licenses: ${ok.status}`);
    await screenshot(page, 'users-tokens');
    const row = page.getByTestId('tokens-table').getByRole('row').filter({ hasText: 'ci-readonly' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke now' }).click();
    await page.getByText('Token "ci-readonly" revoked').waitFor();
    const after = await call('GET', `/api/v1/tenants/${acme}/licenses`, undefined, { bearer: secret });
    check(after.status === 401, `revoked token must get 401, got ${after.status}`);
    // Role change round trip on the viewer: admin, then back to viewer.
    const roleSelect = page.getByLabel(`Role of ${VIEWER}`);
    await roleSelect.selectOption('admin');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Change role' }).click(); // role changes ask first
    await page.getByText(`${VIEWER} is now admin.`).waitFor();
    await roleSelect.selectOption('viewer');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Change role' }).click();
    await page.getByText(`${VIEWER} is now viewer.`).waitFor();
  });

  await t.test('a viewer can read but not edit', async () => {
    const vp = need('person:viewer').page;
    await vp.goto(`${D}/t/${need('acme')}/licenses/${need('license')}`);
    await vp.getByText('Read only').waitFor();
    await vp.getByRole('cell', { name: 'bo@acme.test' }).waitFor();
    check(await vp.getByRole('button', { name: 'Edit' }).count() === 0, 'viewer sees Edit');
    check(await vp.getByRole('button', { name: 'Force release' }).count() === 0, 'viewer sees Force release');
    check(await vp.getByTestId('license-key').count() === 0, 'viewer sees the full key');
    const patch = await callInPage(vp, 'PATCH', `/api/v1/tenants/${need('acme')}/licenses/${need('license')}`, { seats_total: 50 });
    check(patch.status === 403 && patch.body.error.code === 'forbidden', `viewer PATCH: ${patch.status} ${JSON.stringify(patch.body)}`);
    const got = await call('GET', `/api/v1/tenants/${need('acme')}/licenses/${need('license')}`, undefined, { bearer: BOOTSTRAP });
    check(got.body.seats_total === 1, 'the viewer changed the license');
    await vp.goto(`${D}/t/${need('acme')}/licenses`);
    await vp.getByTestId('licenses-table').waitFor();
    check(await vp.getByRole('button', { name: 'New license' }).count() === 0, 'viewer sees New license');
    await screenshot(vp, 'viewer-licenses');
  });

  await t.test("one tenant's user cannot see another's data", async () => {
    const gp = need('person:globex').page;
    const acme = need('acme');
    await gp.goto(`${D}/t/${need('globex')}/licenses`);
    await gp.getByText('No licenses yet.').waitFor();
    const options = await gp.getByLabel('Tenant').locator('option').allTextContents();
    check(!options.includes('Acme Corp'), `tenant switcher offers ${options}`);
    await gp.goto(`${D}/t/${acme}/licenses/${need('license')}`);
    await gp.getByRole('heading', { name: "You don't have access to this tenant" }).waitFor();
    for (const p of [`/api/v1/tenants/${acme}/licenses`, `/api/v1/tenants/${acme}/audit`, `/api/v1/tenants/${acme}/analytics`, `/api/v1/tenants/${acme}/users`]) {
      const r = await callInPage(gp, 'GET', p);
      check(r.status === 404, `Globex owner GET ${p}: ${r.status}`);
    }
    const del = await callInPage(gp, 'DELETE', `/api/v1/tenants/${acme}/sessions/${need('session')}`);
    check(del.status === 404, `Globex owner force release in Acme: ${del.status}`);
    const staffOnly = await callInPage(gp, 'GET', '/api/v1/analytics/tenants');
    check(staffOnly.status === 403, `non-staff on the staff analytics: ${staffOnly.status}`);
  });

  await t.test('sign-in: wrong password refused, CSRF required on writes, sign-out ends the session', async () => {
    const p = await person('signin');
    await p.page.goto(`${D}/login`);
    await p.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await p.page.getByLabel('E-mail').fill(STAFF.email);
    await p.page.getByLabel('Password').fill('not the password');
    await p.page.getByRole('button', { name: 'Sign in' }).click();
    await p.page.getByText('Wrong e-mail or password.').waitFor();
    await screenshot(p.page, 'sign-in');
    await p.page.getByLabel('Password').fill(PASSWORD);
    await p.page.getByRole('button', { name: 'Sign in' }).click();
    await p.page.getByRole('heading', { name: 'All tenants' }).waitFor();
    const noCsrf = await callInPage(p.page, 'POST', `/api/v1/tenants/${need('acme')}/licenses`, { seats_total: 1 }, { csrf: false });
    check(noCsrf.status === 403 && noCsrf.body.error.code === 'csrf_failed', `write without CSRF: ${noCsrf.status} ${JSON.stringify(noCsrf.body)}`);
    await p.page.getByRole('button', { name: 'Sign out' }).click();
    await p.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const me = await callInPage(p.page, 'GET', '/api/v1/auth/me');
    check(me.status === 401, `me after sign-out: ${me.status}`);
  });

  await t.test('password reset by e-mail', async () => {
    const p = await person('reset');
    await p.page.goto(`${D}/login`);
    await p.page.getByRole('link', { name: 'Forgot your password?' }).click();
    await p.page.getByLabel('E-mail').fill(VIEWER);
    await p.page.getByRole('button', { name: 'Send reset link' }).click();
    await p.page.getByText(`If an account uses ${VIEWER}, a reset link is on its way.`).waitFor();
    const unknown = await call('POST', '/api/v1/auth/password-reset', { email: 'nobody@nowhere.test' });
    check(unknown.status === 202, `reset for an unknown e-mail must look the same (202), got ${unknown.status}`);
    const mail = await smtp.waitFor(VIEWER, { needle: '/dashboard/reset-password?token=' });
    await p.page.goto(linkIn(mail, 'reset-password'));
    const fresh = `${PASSWORD} renewed`;
    await p.page.getByLabel('New password').fill(fresh);
    await p.page.getByLabel('Repeat password').fill(fresh);
    await p.page.getByRole('button', { name: 'Set password and sign in' }).click();
    await p.page.getByRole('heading', { name: 'Licenses' }).waitFor();
    const old = await call('POST', '/api/v1/auth/login', { email: VIEWER, password: PASSWORD });
    check(old.status === 401, `the old password must stop working, got ${old.status}`);
    const reused = await call('POST', '/api/v1/auth/password-reset/confirm', { token: new URL(linkIn(mail, 'reset-password')).searchParams.get('token'), password: 'another password 123' });
    check(reused.status === 410 || reused.status === 404, `a used reset link must be refused, got ${reused.status}`);
  });

  await t.test('staff view across tenants shows both tenants with usage', async () => {
    await page.goto(`${D}/staff`);
    const table = page.getByTestId('tenants-table');
    await table.getByRole('row').filter({ hasText: 'Globex' }).waitFor();
    const acmeRow = table.getByRole('row').filter({ hasText: 'Acme Corp' });
    let seen = '';
    await eventually(async () => (seen = (await acmeRow.getByRole('cell').allTextContents()).join('|')).includes('|4|'), 8000, 'Acme with 4 licenses').catch((e) => { throw new Error(`${e.message}; the row reads "${seen}"`); });
    await page.getByTestId('users-table').getByRole('cell', { name: GLOBEX_OWNER, exact: true }).waitFor();
    await screenshot(page, 'staff');
  });

  await t.test('phone layout in dark mode', async () => {
    const p = await person('phone', { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await p.page.goto(`${D}/login`);
    await p.page.getByLabel('E-mail').fill(GLOBEX_OWNER);
    await p.page.getByLabel('Password').fill(PASSWORD);
    await p.page.getByRole('button', { name: 'Sign in' }).click();
    await p.page.getByRole('heading', { name: 'Licenses' }).waitFor();
    const bg = await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(bg === 'rgb(11, 18, 32)', `dark background expected, got ${bg}`);
    const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `page is ${overflow}px wider than the phone`);
    await p.page.getByRole('button', { name: 'Menu' }).click();
    await p.page.getByRole('link', { name: 'Analytics' }).click();
    await p.page.getByRole('heading', { name: 'Analytics' }).waitFor();
    await screenshot(p.page, 'phone-dark-analytics');
    await p.page.getByRole('button', { name: 'Menu' }).click();
    await p.page.getByRole('button', { name: 'Switch to light theme' }).click(); // dark (the system's) → light
    const light = await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(light === 'rgb(248, 250, 252)', `the toggle must switch to light, got ${light}`);
  });

  await billingTests({ t, page, S, D, call, bearer: BOOTSTRAP, state, need });
  await outgoingTests({ t, page, S, D, call, bearer: BOOTSTRAP, state, need });
  await supportTests({ t, page, D, call, bearer: BOOTSTRAP, need });
  await identityTests({ t, person, page, S, D, call, bearer: BOOTSTRAP, idp, need, viewer: VIEWER, password: `${PASSWORD} renewed` });
  await dayOneTests({ t, person, page, D, call, bearer: BOOTSTRAP, need, staff: { email: STAFF.email, password: PASSWORD }, globexOwner: { email: GLOBEX_OWNER, password: PASSWORD } });
  await dashboardTests({ t, person, page, S, D, call, bearer: BOOTSTRAP, need, staff: { email: STAFF.email, password: PASSWORD } });
  await staffTests({ t, person, bin: BIN });

  await mailTests({ t, person, bin: BIN });

  await t.test('no uncaught errors in any page', async () => {
    check(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
  });
} catch (e) {
  console.log(`FAIL harness: ${e.stack ?? e}`);
  t.results.push({ name: 'harness', ok: false, error: e });
} finally {
  for (const p of people) await p.close().catch(() => {});
  if (t.results.some((r) => !r.ok)) console.log(`--- server log (tail) ---\n${server.log().split('\n').slice(-40).join('\n')}`);
  await server.stop();
  await smtp.close();
  idp.stop();
}

const passed = t.results.filter((r) => r.ok).length;
const failed = t.results.length - passed;
console.log(`screenshots in ${path.relative(process.cwd(), SHOTS_DIR) || SHOTS_DIR}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
