// End-to-end tests of issue #15 point 5, the accounts part, run by run.mjs: the sign-in
// lock-out (five wrong passwords from another address do not lock the owner out of their
// own), a second staff account (promoted from the staff page, sees the staff pages; the last
// staff account cannot be demoted, with a clear message), and deactivating a user (their open
// session is signed out). These run against a server of their own, which trusts
// `X-Forwarded-For` from loopback (as behind a reverse proxy): node's requests name another
// address in that header, the browser's carry none and come from 127.0.0.1. Screenshots of
// the staff page light and dark, desktop and phone.
import { randomBytes } from 'node:crypto';
import { shootBoth } from './dayone.mjs';
import { check, eventually, startServer } from './harness.mjs';
import { linkIn, startSmtp } from './smtp.mjs';

const PHONE = { width: 390, height: 844 };
const PASSWORD = 'staff e2e password 1';
const OWNER = { name: 'Olga Owner', email: 'olga@vendor.test' };
const SECOND = { name: 'Sid Second', email: 'sid@vendor.test' };
const ATTACKER_ADDRESS = '203.0.113.77';

/** Signs `page` in through the sign-in form; waits for `heading`. */
async function signIn(page, D, who, heading) {
  await page.goto(`${D}/login`);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: heading }).waitFor();
}

/** Makes sure `page` is signed in as `who` (signing in when it is not) and shows `heading`. */
async function ensureSignedIn(page, D, who, heading) {
  await page.goto(`${D}/`);
  const form = page.getByLabel('E-mail');
  const target = page.getByRole('heading', { name: heading });
  await form.or(target).first().waitFor();
  if (await form.count()) await signIn(page, D, who, heading);
  await target.waitFor();
}

/** Clicks a users-list action for `email` on the staff page and confirms it in the dialog. */
async function staffAction(page, label, email, confirmLabel) {
  await page.getByTestId(`user-${email}`).getByRole('button', { name: `${label}: ${email}` }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: confirmLabel }).click();
}

export async function staffTests({ t, person, bin }) {
  const bootstrap = randomBytes(24).toString('hex');
  const smtp = await startSmtp();
  const server = await startServer({
    bin,
    env: {
      CODITECT_BOOTSTRAP_TOKEN: bootstrap,
      CODITECT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      CODITECT_MAIL_FROM: 'CODITECT <noreply@vendor.test>',
      CODITECT_TRUSTED_PROXIES: '127.0.0.1/32',
    },
  });
  const S = server.base;
  const D = `${S}/dashboard`;
  const call = async (method, p, body, { bearer, from } = {}) => {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (from) headers['x-forwarded-for'] = from;
    const r = await fetch(`${S}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => null) };
  };
  try {
    // The owner (first staff account) and a second person, a member of one tenant.
    const setup = await call('POST', '/api/v1/auth/setup', { bootstrap_token: bootstrap, ...OWNER, password: PASSWORD });
    check(setup.status === 201, `setup: ${setup.status} ${JSON.stringify(setup.body)}`);
    const tenant = await call('POST', '/api/v1/tenants', { name: 'Initech', slug: 'initech' }, { bearer: bootstrap });
    check(tenant.status === 201, `tenant: ${tenant.status}`);
    const invite = await call('POST', `/api/v1/tenants/${tenant.body.id}/invitations`, { email: SECOND.email, role: 'viewer' }, { bearer: bootstrap });
    check(invite.status === 201, `invitation: ${invite.status} ${JSON.stringify(invite.body)}`);
    const mail = await smtp.waitFor(SECOND.email, { needle: 'accept-invitation' });
    const token = new URL(linkIn(mail, 'accept-invitation')).searchParams.get('token');
    const accepted = await call('POST', '/api/v1/invitations/accept', { token, name: SECOND.name, password: PASSWORD });
    check(accepted.status === 200, `accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);

    const owner = await person('staff-owner');
    const second = await person('staff-second');

    await t.test('staff: five wrong passwords from another address do not lock the owner out of their own', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await call('POST', '/api/v1/auth/login', { email: OWNER.email, password: 'a wrong guess 123' }, { from: ATTACKER_ADDRESS });
        check(r.status === 401, `wrong password ${i + 1} from ${ATTACKER_ADDRESS}: ${r.status}`);
      }
      const limited = await call('POST', '/api/v1/auth/login', { email: OWNER.email, password: PASSWORD }, { from: ATTACKER_ADDRESS });
      check(limited.status === 429, `the guessing address must be throttled, got ${limited.status}`);
      // The owner, in the browser from their own address, signs in at once.
      await signIn(owner.page, D, OWNER, 'All tenants');
      // Staff can clear the throttle: the guessing address gets a plain 401 again.
      const row = owner.page.getByTestId(`user-${OWNER.email}`);
      await row.waitFor();
      await staffAction(owner.page, 'Unlock sign-in', OWNER.email, 'Unlock sign-in');
      await owner.page.getByText(`Sign-in for ${OWNER.email} is unlocked.`).waitFor();
      const again = await call('POST', '/api/v1/auth/login', { email: OWNER.email, password: 'a wrong guess 123' }, { from: ATTACKER_ADDRESS });
      check(again.status === 401, `after the unlock: ${again.status}`);
    });

    await t.test('staff: a promoted user sees the staff pages; the last staff account cannot be demoted', async () => {
      const page = owner.page;
      await page.goto(`${D}/staff`);
      await staffAction(page, 'Make staff', SECOND.email, 'Make staff');
      await page.getByText(`${SECOND.email} is now staff.`).waitFor();
      await page.getByTestId(`user-${SECOND.email}`).getByText('staff', { exact: true }).waitFor();
      await signIn(second.page, D, SECOND, 'Licenses');
      await second.page.goto(`${D}/staff`);
      await second.page.getByRole('heading', { name: 'All tenants' }).waitFor();
      await second.page.getByTestId('users-table').waitFor();
      // Back to one staff account, then try to remove the last one.
      await staffAction(page, 'Remove staff', SECOND.email, 'Remove staff');
      await page.getByText(`${SECOND.email} is no longer staff.`).waitFor();
      await staffAction(page, 'Remove staff', OWNER.email, 'Remove staff');
      await page.getByRole('alert').filter({ hasText: 'at least one active staff account' }).waitFor();
      const me = await page.evaluate(async () => (await (await fetch('/api/v1/auth/me')).json()).user.is_staff);
      check(me === true, 'the last staff account stays staff');
      await eventually(async () => (await page.getByTestId('account-log').textContent()).includes(`${SECOND.email} removed from staff by ${OWNER.email}`), 8000, 'the account log names the demotion');
      await shootBoth(page, 'staff-users-desktop');
    });

    await t.test('staff: deactivating a user signs their open session out; reactivating lets them back', async () => {
      const page = owner.page;
      await ensureSignedIn(second.page, D, SECOND, 'Licenses'); // an open session, on a tenant page
      await staffAction(page, 'Deactivate', SECOND.email, 'Deactivate');
      await page.getByText(`${SECOND.email} is deactivated and signed out.`).waitFor();
      await page.getByTestId(`user-${SECOND.email}`).getByText('deactivated', { exact: true }).waitFor();
      // Their open page: the next thing they do finds the session gone.
      await second.page.reload();
      await second.page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await second.page.getByLabel('E-mail').fill(SECOND.email);
      await second.page.getByLabel('Password').fill(PASSWORD);
      await second.page.getByRole('button', { name: 'Sign in' }).click();
      await second.page.getByText('this account is deactivated').waitFor();
      await shootBoth(page, 'staff-users-deactivated-desktop');
      const phone = await person('staff-phone', { viewport: PHONE });
      await signIn(phone.page, D, OWNER, 'All tenants');
      await phone.page.getByTestId(`user-${SECOND.email}`).getByRole('button', { name: `Reactivate: ${SECOND.email}` }).waitFor();
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 1, `the staff page is ${overflow}px wider than the phone`);
      await shootBoth(phone.page, 'staff-users-phone');
      await staffAction(phone.page, 'Reactivate', SECOND.email, 'Reactivate');
      await phone.page.getByText(`${SECOND.email} is active again.`).waitFor();
      await signIn(second.page, D, SECOND, 'Licenses');
    });
  } finally {
    await server.stop();
    await smtp.close();
  }
}
