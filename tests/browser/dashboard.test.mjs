// The dashboard in a real browser: playwright-core driving Debian's
// /usr/bin/chromium (headless) against a real isacd.
//
// Run through tests/browser/run.sh (make browser), which provides the server,
// a coordinator and a subscriber token, and an operator key (see its header).
// The steps run in order and share one page; after a failed step the rest are
// skipped. Screenshots land in $ISACD_ARTIFACTS. Nothing here measures time:
// waits are for things to appear, bounded only so a broken run ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through tests/browser/run.sh (make browser)`);
  return v;
}

const BASE = need('ISACD_URL');
const COORD_TOKEN = need('ISACD_COORD_TOKEN');
const SUB_TOKEN = need('ISACD_SUB_TOKEN');
const OP_KEY = need('ISACD_OP_KEY');
const OP_KEY_ID = need('ISACD_OP_KEY_ID');
const ISACD_BIN = need('ISACD_BIN');
const ARTIFACTS = need('ISACD_ARTIFACTS');
const TERMS = need('ISACD_OP_TERMS').split('\n').filter(Boolean);

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const WAIT = { timeout: 30_000 }; // for something to show up; never a measurement

const TITLE = 'Ransomware on engineering workstations at the Tama substation';
const SUMMARY = 'The SOC saw mass file renames on six engineering workstations in the Tama substation ' +
  'control office. Hanako Sato isolated the hosts; the payload beaconed to 203.0.113.45. ' +
  'Grid operation continues under manual procedures.';

let browser = null; // the persistent context
let page = null;
let userDataDir = null;
let broken = false;
let allow403 = false; // only while the subscriber's token is being refused
let seen403 = 0;
const consoleErrors = [];
const badResponses = [];
const failedRequests = [];

// A step of the story: skipped once an earlier step failed; a failure leaves a screenshot.
function step(name, fn) {
  test(name, async (t) => {
    if (broken) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      broken = true;
      if (page) {
        const file = `failed-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
        await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true }).catch(() => {});
      }
      throw err;
    }
  });
}

async function shot(name, opts = {}) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), ...opts });
}

const isApiIncidents = (url) => new URL(url).pathname === '/v1/coord/incidents';

before(async () => {
  userDataDir = await mkdtemp(path.join(tmpdir(), 'chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  page = browser.pages()[0] || await browser.newPage();
  page.setDefaultTimeout(WAIT.timeout);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location().url || '';
    if (allow403 && /status of 403/.test(msg.text()) && isApiIncidents(where)) return;
    consoleErrors.push(`${msg.text()} (${where})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() < 400) return;
    if (allow403 && res.status() === 403 && isApiIncidents(res.url())) {
      seen403++;
      return;
    }
    badResponses.push(`${res.status()} ${res.request().method()} ${res.url()}`);
  });
});

after(async () => {
  if (page) page.removeAllListeners();
  if (browser) await browser.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test('isacd serves the dashboard from the binary with its security headers', async () => {
  for (const [p, type] of [['/dashboard/', 'text/html'], ['/dashboard/app.js', 'text/javascript'],
    ['/dashboard/style.css', 'text/css']]) {
    const res = await fetch(BASE + p);
    assert.equal(res.status, 200, p);
    assert.match(res.headers.get('content-type'), new RegExp(`^${type}; charset=utf-8$`), p);
    assert.equal(res.headers.get('content-security-policy'), CSP, p);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', p);
    assert.equal(res.headers.get('cache-control'), 'no-store', p);
    assert.ok((await res.text()).length > 0, p);
  }
  const redirect = await fetch(`${BASE}/dashboard`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/dashboard/');
  assert.equal(redirect.headers.get('content-security-policy'), CSP);
  const missing = await fetch(`${BASE}/dashboard/nope.js`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-security-policy'), CSP);
  assert.equal((await missing.json()).type, 'urn:isacd:problem:not-found');
  const index = await (await fetch(`${BASE}/dashboard/`)).text();
  assert.doesNotMatch(index, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(index, /<style|\sstyle=/, 'no inline style');
  assert.doesNotMatch(index, /https?:\/\//, 'nothing from another origin');
});

step('signs in with a coordinator token, kept in sessionStorage and out of the URL', async () => {
  const res = await page.goto(`${BASE}/dashboard/`);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-security-policy'], CSP);
  const token = page.locator('#token');
  await token.waitFor();
  assert.ok(await token.evaluate((el) => el === document.activeElement), 'the token field has the focus');
  await token.fill(COORD_TOKEN);
  await token.press('Enter');
  await page.getByRole('heading', { name: 'Queue' }).waitFor();
  await page.locator('#queue-empty').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('isacd.coordinator.token')), COORD_TOKEN);
  assert.ok(!page.url().includes(COORD_TOKEN), 'the token is not in the URL');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
});

step('a signed report appears in the queue without reloading the page', async () => {
  await page.evaluate(() => { window.__stillThisPage = true; });
  const detected = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const report = {
    title: TITLE,
    summary: SUMMARY,
    incident_type: 'ransomware',
    severity: 'high',
    sector: 'electric_power',
    detected_at: detected,
    phase: 'early_warning',
    tlp: 'AMBER',
    impact: { class: 'moderate', description: 'Remote switching from the Tama substation office suspended.' },
    indicators: [{ type: 'ipv4', value: '203.0.113.45', role: 'attacker' }],
    attack_techniques: ['T1486'],
  };
  const file = path.join(tmpdir(), 'report.json');
  await writeFile(file, JSON.stringify(report));
  await run(ISACD_BIN, ['submit', '--url', BASE, '--key', OP_KEY, '--key-id', OP_KEY_ID, file]);

  const link = page.getByRole('link', { name: TITLE });
  await link.waitFor(WAIT);
  assert.equal(await page.evaluate(() => window.__stillThisPage), true, 'no reload happened');
  const row = page.locator('#queue-rows tr', { has: link });
  assert.match(await row.innerText(), /Tama Grid Power/);
  const received = row.locator('time');
  assert.match(await received.getAttribute('title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'UTC on hover');
  await shot('queue');

  // filters go to the API; Clear brings the row back
  await page.locator('select[name="severity"]').selectOption('critical');
  await page.locator('#queue-empty').waitFor(WAIT);
  await page.locator('select[name="severity"]').selectOption('high');
  await link.waitFor(WAIT);
  await page.locator('input[name="q"]').fill('no such title anywhere');
  await page.locator('#queue-empty').waitFor(WAIT);
  await page.getByRole('button', { name: 'Clear' }).click();
  await link.waitFor(WAIT);
  assert.equal(await page.locator('select[name="severity"]').inputValue(), '');

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 390 px (overflow ${overflow} px)`);
  await shot('queue-390', { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

step('the incident: the verified report, its receipt, the draft with its redactions', async () => {
  await page.getByRole('link', { name: TITLE }).press('Enter'); // by keyboard
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  await page.locator('#compare-h').waitFor(WAIT); // the worker has made the draft
  assert.match(page.url(), /#\/incidents\/[0-9a-f-]{36}$/);

  const report = page.locator('.timeline > li').first();
  await report.getByText('signature valid').waitFor();
  await report.getByText('digest valid').waitFor();
  await report.getByText('verified in this browser').waitFor(WAIT); // the receipt, with WebCrypto Ed25519
  assert.match(await report.locator('time').first().getAttribute('title'), / UTC$/);

  for (const term of TERMS) {
    const removed = page.locator('.compare .original mark.removed', { hasText: term });
    assert.ok(await removed.count() >= 1, `"${term}" is marked in the original`);
    const redacted = page.locator('.compare .draft mark.redaction', { hasText: '[redacted]' })
      .and(page.locator(`[title*="${term}"]`));
    assert.ok(await redacted.count() >= 1, `the draft marks where "${term}" was removed`);
  }
  const draftSummary = await page.locator('.compare-row', { hasText: 'Summary' }).locator('.draft').innerText();
  for (const term of TERMS) assert.ok(!draftSummary.includes(term), `"${term}" is not in the draft`);
  assert.ok(draftSummary.includes('203.0.113.45'), 'the attacker indicator stays');
  const rows = await page.locator('#redactions tbody tr').allInnerTexts();
  for (const term of TERMS) assert.ok(rows.some((r) => r.includes(term)), `"${term}" is listed as removed`);
  await page.locator('#bulletin-status', { hasText: 'pending review' }).waitFor();
  assert.doesNotMatch(await page.locator('#incident-body').innerText(), /\bnull\b|\bundefined\b|NaN/);
  await shot('incident', { fullPage: true });

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 390 px (overflow ${overflow} px)`);
  await shot('incident-390', { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

step('approving publishes the bulletin', async () => {
  await page.getByRole('button', { name: /Approve and publish/ }).press('Enter');
  await page.locator('#bulletin-status', { hasText: 'published' }).waitFor(WAIT);
  await page.locator('#action-note', { hasText: 'approved and published' }).waitFor();
  assert.ok(await page.getByRole('button', { name: /Approve and publish/ }).isDisabled());
  await shot('incident-published', { fullPage: true });

  await page.getByRole('link', { name: '← Queue' }).click();
  const row = page.locator('#queue-rows tr', { has: page.getByRole('link', { name: TITLE }) });
  await row.locator('.badge', { hasText: 'published' }).waitFor(WAIT);
});

step('signing out forgets the token', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#token').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('isacd.coordinator.token')), null);
  assert.equal(await page.locator('#queue-rows tr').count(), 0, 'the queue is gone from the page');
  await page.getByText('Signed out.').waitFor();
});

step("a subscriber's token is refused by the API and shown as an error", async () => {
  allow403 = true;
  try {
    await page.locator('#token').fill(SUB_TOKEN);
    await page.locator('#token').press('Enter');
    const error = page.locator('#signin-error');
    await error.waitFor(WAIT);
    assert.match(await error.innerText(), /not a coordinator/);
  } finally {
    allow403 = false;
  }
  assert.equal(seen403, 1, 'the API answered 403 once');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('isacd.coordinator.token')), null);
  assert.ok(await page.locator('#view-queue').isHidden());
  await shot('signin-refused');
});

test('no console errors and no failed requests', () => {
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(failedRequests, []);
  assert.deepEqual(badResponses, []);
});
