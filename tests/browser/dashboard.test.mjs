// The dashboard in a real browser: playwright-core driving Debian's
// /usr/bin/chromium (headless) against a real isacd.
//
// Run through tests/browser/run.sh (make browser), which provides the server,
// a coordinator and a subscriber token, and an operator key (see its header).
// The steps run in order and share one page; after a failed step the rest are
// skipped. Screenshots land in $ISACD_ARTIFACTS. Nothing here measures time:
// waits are for things to appear, bounded only so a broken run ends.
//
// The coordinator endpoints the pages use are probed first: a step whose
// endpoint this server does not have (404) is skipped and says so, and only
// then may the dashboard's own requests to it answer 404 (the queue falls back
// to polling without /v1/coord/stream).
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
const OP2_KEY = need('ISACD_OP2_KEY');
const OP2_KEY_ID = need('ISACD_OP2_KEY_ID');

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
let incidentId = null; // the incident of the first report, once opened
const streamRequests = []; // {url, authorization, lastEventId} of each GET /v1/coord/stream

// Which of this round's endpoints the server has (probed in before()).
const ENDPOINTS = {
  stream: '/v1/coord/stream',
  bulletins: '/v1/coord/bulletins',
  orgs: '/v1/coord/orgs',
  regimes: '/v1/coord/regimes',
  stats: '/v1/coord/stats',
  audit: '/v1/coord/audit',
};
const has = {};
let keysRevocable = false; // DELETE /v1/coord/keys/{id}
let hasDeadlines = false; // the queue's items carry `deadline`
const missingPaths = () => Object.entries(ENDPOINTS).filter(([k]) => !has[k]).map(([, v]) => v);
const isMissing = (url) => missingPaths().includes(new URL(url).pathname);
const ORG_NAME = 'Tama Grid Power';
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

async function probe() {
  const auth = { Authorization: `Bearer ${COORD_TOKEN}` };
  for (const [name, p] of Object.entries(ENDPOINTS)) {
    const ctrl = new AbortController();
    const res = await fetch(BASE + p, { headers: auth, signal: ctrl.signal });
    has[name] = res.status !== 404;
    ctrl.abort(); // the stream would stay open
    await res.body?.cancel().catch(() => {});
  }
  // DELETE /v1/coord/keys/{id} is there when its path answers GET with 405 (not 404)
  keysRevocable = (await fetch(`${BASE}/v1/coord/keys/no-such-key`, { headers: auth })).status === 405;
  const missing = missingPaths();
  if (!keysRevocable) missing.push('DELETE /v1/coord/keys/{id}');
  if (missing.length) console.log(`# not on this server yet (their steps are skipped): ${missing.join(', ')}`);
}

// Skip a step (with a note) unless the server has these endpoints.
function needs(t, ...names) {
  const missing = names.filter((n) => !(n === 'keys' ? keysRevocable : has[n]));
  if (missing.length) {
    t.skip(`not on this server yet: ${missing.map((n) => (n === 'keys' ? 'DELETE /v1/coord/keys/{id}' : ENDPOINTS[n])).join(', ')}`);
    return false;
  }
  return true;
}

async function submit(report, key = OP_KEY, keyId = OP_KEY_ID) {
  const file = path.join(tmpdir(), `report-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(report));
  try {
    return await run(ISACD_BIN, ['submit', '--url', BASE, '--key', key, '--key-id', keyId, file]);
  } finally {
    await rm(file, { force: true });
  }
}

async function noSidewaysScroll(what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${what}: no sideways scrolling at 390 px (overflow ${overflow} px)`);
}

// Press Tab until the focused element matches, as a keyboard user would (bounded).
async function tabTo(locator, what, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

const focusedText = () => page.evaluate(() => (document.activeElement ? document.activeElement.textContent.trim() : ''));

before(async () => {
  await probe();
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
    if (/status of 404/.test(msg.text()) && where && isMissing(where)) return;
    consoleErrors.push(`${msg.text()} (${where})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    // the dashboard ends its own stream on signing out: an abort, not a failure
    if (new URL(req.url()).pathname === ENDPOINTS.stream && req.failure()?.errorText === 'net::ERR_ABORTED') return;
    failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on('request', (req) => {
    if (new URL(req.url()).pathname !== ENDPOINTS.stream) return;
    const hdr = req.headers();
    streamRequests.push({ url: req.url(), authorization: hdr.authorization, lastEventId: hdr['last-event-id'] });
  });
  page.on('response', (res) => {
    if (res.status() < 400) return;
    if (allow403 && res.status() === 403 && isApiIncidents(res.url())) {
      seen403++;
      return;
    }
    if (res.status() === 404 && isMissing(res.url())) return;
    badResponses.push(`${res.status()} ${res.request().method()} ${res.url()}`);
  });
});

after(async () => {
  if (page) page.removeAllListeners();
  if (browser) await browser.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test('isacd serves the dashboard from the binary with its security headers', async () => {
  const modules = ['app.js', 'core.js', 'stream.js', 'queue.js', 'incident.js', 'bulletins.js', 'orgs.js',
    'stats.js', 'audit.js'];
  for (const [p, type] of [['/dashboard/', 'text/html'], ['/dashboard/style.css', 'text/css'],
    ...modules.map((m) => [`/dashboard/${m}`, 'text/javascript'])]) {
    const res = await fetch(BASE + p);
    assert.equal(res.status, 200, p);
    assert.match(res.headers.get('content-type'), new RegExp(`^${type}; charset=utf-8$`), p);
    assert.equal(res.headers.get('content-security-policy'), CSP, p);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', p);
    assert.equal(res.headers.get('cache-control'), 'no-cache', p); // revalidated: an ETag and 304
    assert.ok(res.headers.get('etag'), p);
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
  for (const m of modules) {
    const js = await (await fetch(`${BASE}/dashboard/${m}`)).text();
    assert.doesNotMatch(js, /\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write/, `${m} builds no HTML from strings`);
    for (const [, dep] of js.matchAll(/from '\.\/([a-z]+\.js)'/g)) assert.ok(modules.includes(dep), `${m} imports ${dep}, which is served`);
  }
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
  if (has.stream) {
    await page.locator('#queue-status', { hasText: 'live' }).waitFor(WAIT);
    assert.ok(streamRequests.length >= 1, 'the stream was opened');
    for (const r of streamRequests) {
      assert.equal(r.authorization, `Bearer ${COORD_TOKEN}`, 'the stream sends the token as a header');
      assert.ok(!r.url.includes(COORD_TOKEN) && new URL(r.url).search === '', 'and not in its URL');
    }
  } else {
    await page.locator('#queue-status', { hasText: 'refreshes every' }).waitFor(WAIT);
  }
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
  const polls = () => page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => new URL(e.name).pathname === '/v1/coord/incidents').length);
  const before = await polls();
  await submit(report);

  const link = page.getByRole('link', { name: TITLE });
  await link.waitFor(WAIT);
  assert.equal(await page.evaluate(() => window.__stillThisPage), true, 'no reload happened');
  const row = page.locator('#queue-rows tr', { has: link });
  assert.match(await row.innerText(), /Tama Grid Power/);
  const received = row.locator('td[data-label="Received"] time');
  assert.match(await received.getAttribute('title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'UTC on hover');
  if (has.stream) {
    // no polling while the stream is live: the one refresh came from the stream's report.received event
    assert.ok(await polls() - before <= 2, 'the queue was refreshed by the stream, not by polling');
    await page.locator('#queue-status', { hasText: 'live' }).waitFor();
  }
  hasDeadlines = await page.evaluate(async (token) => {
    const r = await fetch('/v1/coord/incidents?limit=1', { headers: { Authorization: `Bearer ${token}` } });
    return 'deadline' in ((await r.json()).incidents[0] || {});
  }, COORD_TOKEN);
  if (hasDeadlines) {
    await row.locator('.deadline', { hasText: /Due\s+notification/ }).waitFor();
    await page.locator('select[name="overdue"]').selectOption('true');
    await page.locator('#queue-empty').waitFor(WAIT);
    await page.locator('select[name="overdue"]').selectOption('false');
    await link.waitFor(WAIT);
    await page.locator('select[name="overdue"]').selectOption('');
  }
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
  assert.match(page.url(), /#\/incident\/[0-9a-f-]{36}$/);
  incidentId = /#\/incident\/([0-9a-f-]{36})$/.exec(page.url())[1];
  await page.locator('#reporter-h + dl a', { hasText: ORG_NAME }).waitFor();

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
  if (hasDeadlines) {
    const phases = await page.locator('#deadlines tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.phase));
    assert.deepEqual(phases, ['early_warning', 'notification', 'final']);
    await page.locator('#deadlines tr[data-phase="early_warning"] .badge', { hasText: 'met' }).waitFor();
    await page.locator('#deadlines tr[data-phase="notification"] .badge', { hasText: 'due' }).waitFor();
    assert.match(await page.locator('#deadlines tr[data-phase="notification"] time').first().getAttribute('title'), / UTC$/);
    const ind = page.locator('#indicators tbody tr', { hasText: '203.0.113.45' });
    await ind.waitFor();
    const cells = await ind.locator('td').allInnerTexts();
    assert.ok(cells.some((c) => /attacker/.test(c)), 'the role is shown');
    assert.deepEqual(await ind.locator('td.num').allInnerTexts(), ['1', '1', '1'], 'reports, operators, incidents');
  } else {
    await page.getByText('This server does not report deadlines.').waitFor();
  }
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

step('the bulletins page lists the published bulletin', async (t) => {
  if (!needs(t, 'bulletins')) return;
  await page.locator('#nav').getByRole('link', { name: 'Bulletins' }).click();
  await page.getByRole('heading', { level: 1, name: 'Bulletins' }).waitFor();
  assert.match(page.url(), /#\/bulletins$/);
  const mine = page.locator('#bulletins-table tbody tr', { has: page.locator(`a[href="#/incident/${incidentId}"]`) });
  await mine.waitFor(WAIT);
  await mine.locator('.badge', { hasText: 'published' }).waitFor();
  const title = await mine.locator('td.title').innerText();
  for (const term of TERMS) assert.ok(!title.includes(term), `the anonymized title, without "${term}"`);
  assert.match(await mine.innerText(), /v1/);
  assert.match(await mine.locator('td[data-label="Recipients"]').innerText(), /^\d+$/);
  assert.match(await mine.locator('td[data-label="Webhooks"]').innerText(), /0 delivered · 0 pending · 0 dead/);

});

step('a dead webhook delivery is listed on the bulletins page and replayed', async () => {
  await page.locator('#nav').getByRole('link', { name: 'Bulletins' }).click();
  await page.getByRole('heading', { level: 1, name: 'Bulletins' }).waitFor();
  // a TLP:GREEN, low report is published at once to the subscriber, whose webhook refuses connections
  const detected = new Date(Date.now() - 1800_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await submit({
    title: 'Phishing wave against the billing portal', summary: 'Credential phishing mails imitating the billing portal.',
    incident_type: 'phishing', severity: 'low', sector: 'electric_power', detected_at: detected, phase: 'early_warning',
    tlp: 'GREEN', impact: { class: 'minor', description: 'No service impact.' },
    indicators: [{ type: 'domain', value: 'billing-portal-login.example', role: 'attacker' }],
  });
  const dead = page.locator('#dead-table tbody tr');
  for (let i = 0; i < 60 && await dead.count() === 0; i++) { // dies after ISACD_WEBHOOK_MAX_AGE_S=1
    await page.waitForTimeout(500);
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.locator('#dead-list table, #dead-none').first().waitFor();
  }
  assert.equal(await dead.count(), 1, 'one dead delivery');
  assert.match(await dead.innerText(), /127\.0\.0\.1/);
  if (has.bulletins) {
    const green = page.locator('#bulletins-table tbody tr', { has: page.locator('.badge', { hasText: 'GREEN' }) });
    await green.locator('td[data-label="Webhooks"]', { hasText: '1 dead' }).waitFor(WAIT);
    assert.match(await green.locator('td[data-label="Recipients"]').innerText(), /^1$/);
  }
  await shot('bulletins', { fullPage: true });

  await dead.getByRole('button', { name: /^Replay delivery/ }).press('Enter');
  await page.locator('#dead-note', { hasText: /replayed: (pending|dead)/ }).waitFor(WAIT);
  assert.ok(await page.locator('#dead-h').evaluate((el) => el === document.activeElement), 'the focus goes to the section');
});

step('organizations: list, filter, create a subscriber and issue its token once', async (t) => {
  if (!needs(t, 'orgs')) return;
  await page.locator('#nav').getByRole('link', { name: 'Organizations' }).click();
  await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
  const op = page.locator('#orgs-table tbody tr', { hasText: ORG_NAME });
  await op.waitFor(WAIT);
  assert.match(await op.locator('td[data-label="Keys"]').innerText(), /^2$/);
  await page.locator('#orgs-kind').selectOption('subscriber');
  await page.locator('#orgs-table tbody tr', { hasText: 'Browser Test Subscriber' }).waitFor(WAIT);
  await op.waitFor({ state: 'detached', ...WAIT });
  await page.locator('#orgs-kind').selectOption('');
  await page.locator('#orgs-q').fill('tama');
  await op.waitFor(WAIT);
  await page.locator('#orgs-table tbody tr', { hasText: 'Browser Test Subscriber' }).waitFor({ state: 'detached', ...WAIT });
  await page.locator('#orgs-q').fill('');

  if (has.regimes) {
    const def = page.locator('#regimes-table tr[data-name="default"]');
    await def.waitFor(WAIT);
    assert.deepEqual(await def.locator('input').evaluateAll((els) => els.map((e) => e.value)), ['24h', '72h', '30d']);
    await page.locator('#regime-new-name').fill('strict');
    await page.locator('#regime-new-early_warning_s').fill('12h');
    await page.locator('#regime-new-notification_s').fill('48h');
    await page.locator('#regime-new-final_s').fill('20d');
    await page.getByRole('button', { name: 'Add regime' }).click();
    await page.locator('#regimes-table tr[data-name="strict"]').waitFor(WAIT);
    await page.locator('#regimes-note', { hasText: 'saved' }).waitFor();
  }

  await page.locator('#new-kind').selectOption('subscriber');
  await page.locator('#new-name').fill('Browser Created Subscriber');
  await page.getByRole('button', { name: 'Create organization' }).click();
  const created = page.locator('#new-note a', { hasText: 'Browser Created Subscriber' });
  await created.waitFor(WAIT);
  await created.click();
  await page.getByRole('heading', { level: 1, name: 'Browser Created Subscriber' }).waitFor(WAIT);
  await page.locator('#clearance-form').waitFor();
  await page.locator('#token-label').fill('browser-created');
  await page.getByRole('button', { name: 'Issue a token' }).click();
  const secret = page.locator('.secret-box input.secret');
  await secret.waitFor(WAIT);
  const token = await secret.inputValue();
  assert.ok(token.length >= 20, 'the new token is shown');
  const feed = await fetch(`${BASE}/v1/bulletins`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(feed.status, 200, 'the token shown works');
  await page.locator('#tokens-table tbody tr', { hasText: 'browser-created' }).waitFor();

  await page.locator('#tokens-table tbody tr', { hasText: 'browser-created' }).getByRole('button', { name: 'Rotate' }).click();
  await page.locator('#tokens-note', { hasText: 'rotated' }).waitFor(WAIT);
  const rotated = await page.locator('.secret-box input.secret').inputValue();
  assert.notEqual(rotated, token);
  assert.equal((await fetch(`${BASE}/v1/bulletins`, { headers: { Authorization: `Bearer ${token}` } })).status, 401, 'the old token is refused');
  assert.equal((await fetch(`${BASE}/v1/bulletins`, { headers: { Authorization: `Bearer ${rotated}` } })).status, 200);

  // shown once: reading the page again does not show it
  await page.locator('#nav').getByRole('link', { name: 'Organizations' }).click();
  await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
  assert.equal(await page.locator('.secret-box').count(), 0, 'leaving the page drops the token, hidden or not');
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: 'Browser Created Subscriber' }).waitFor(WAIT);
  await page.locator('#tokens-table').waitFor();
  assert.equal(await page.locator('.secret-box').count(), 0, 'the token is not shown again');
});

step('keyboard only: the main navigation, an operator, its regime, and revoking a key', async (t) => {
  if (!needs(t, 'orgs', 'keys')) return;
  await page.locator('#nav').getByRole('link', { name: 'Queue' }).click();
  await page.getByRole('heading', { level: 1, name: 'Queue' }).waitFor();
  await page.locator('#queue-h').focus();
  // from the top of the page, as a keyboard user would
  await page.locator('.brand').focus();
  await tabTo(page.locator('#nav a', { hasText: 'Organizations' }), 'the Organizations link');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none', 'the focus is visible');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'orgs-h', 'the focus moves to the page');
  assert.equal(await page.locator('#nav a[aria-current="page"]').innerText(), 'Organizations');
  await page.locator('#orgs-table tbody tr', { hasText: ORG_NAME }).waitFor(WAIT);
  await tabTo(page.locator('#orgs-table a', { hasText: ORG_NAME }), `the link to ${ORG_NAME}`);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: ORG_NAME }).waitFor(WAIT);
  await page.locator('#keys-table').waitFor();

  if (has.regimes) {
    await tabTo(page.locator('#org-regime'), 'the regime select');
    await page.keyboard.press('s'); // type-ahead: "strict (12h / 48h / 20d)"
    assert.equal(await page.locator('#org-regime').inputValue(), 'strict');
    await tabTo(page.getByRole('button', { name: 'Assign regime' }), 'Assign regime');
    await page.keyboard.press('Enter');
    await page.locator('#regime-note', { hasText: 'assigned' }).waitFor(WAIT);
  }

  const spare = page.locator(`#keys-table tr[data-key="${OP2_KEY_ID}"]`);
  await tabTo(spare.getByRole('button', { name: `Revoke ${OP2_KEY_ID}…` }), 'the revoke button');
  await page.keyboard.press('Enter');
  const confirm = page.locator('#keys-confirm .confirm');
  await confirm.waitFor();
  assert.match(await focusedText(), new RegExp(`Revoke key “${OP2_KEY_ID}”\\?`), 'the question has the focus');
  assert.equal(await spare.getByRole('button', { name: `Revoke ${OP2_KEY_ID}…` }).getAttribute('aria-expanded'), 'true');
  // Cancel first: nothing happens, the focus goes back
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focusedText(), 'Cancel');
  await page.keyboard.press('Enter');
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await focusedText(), `Revoke ${OP2_KEY_ID}…`);
  await page.keyboard.press('Enter');
  await confirm.waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await focusedText(), `Revoke key ${OP2_KEY_ID}`);
  await shot('org-revoke-confirm', { fullPage: true });
  await page.keyboard.press('Enter');
  await page.locator('#keys-note', { hasText: `Key “${OP2_KEY_ID}” revoked.` }).waitFor(WAIT);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'keys-h');
  await spare.locator('td[data-label="State"]', { hasText: 'revoked' }).waitFor();
  await page.locator(`#keys-table tr[data-key="${OP_KEY_ID}"] td[data-label="State"]`, { hasText: 'active' }).waitFor();

  // the revoked key signs nothing any more
  const report = {
    title: 'Signed with a revoked key', summary: 'Must be refused.', incident_type: 'other', severity: 'low',
    sector: 'electric_power', detected_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), phase: 'early_warning',
    tlp: 'GREEN', impact: { class: 'none', description: 'None.' },
  };
  await assert.rejects(submit(report, OP2_KEY, OP2_KEY_ID), (err) => {
    assert.match(err.stdout, /key-revoked/);
    assert.match(err.stderr, /refused with HTTP 401/);
    return true;
  });
});

step('statistics: SVG charts with their numbers in tables', async (t) => {
  if (!needs(t, 'stats')) return;
  await page.locator('#nav').getByRole('link', { name: 'Statistics' }).click();
  await page.getByRole('heading', { level: 1, name: 'Statistics' }).waitFor();
  await page.locator('#stats-sectors').waitFor(WAIT);
  assert.equal(await page.locator('#stats-charts svg.chart-svg').count(), 3, 'three charts');
  assert.ok(await page.locator('#chart-sectors rect.bar').count() >= 1, 'bars for the incidents');
  assert.ok(await page.evaluate(() => [...document.querySelectorAll('#stats-charts [style]')].length === 0), 'no inline style');
  const rows = page.locator('#stats-sectors tbody tr');
  assert.equal(await rows.count(), 12, 'twelve weeks');
  const lastWeek = await rows.last().locator('td').allInnerTexts();
  assert.equal(lastWeek.at(-1), '2', 'this week: the two incidents reported');
  const high = page.locator('#stats-severity tbody tr', { hasText: 'high' });
  assert.equal(await high.locator('td.num').first().innerText(), '1');
  const samples = page.locator('#stats-publication tbody tr', { hasText: 'Bulletins measured' });
  assert.equal(await samples.locator('td.num').first().innerText(), '2', 'both bulletins were published');
  await shot('statistics', { fullPage: true });
  await page.locator('#stats-weeks').selectOption('4');
  await page.waitForFunction(() => document.querySelectorAll('#stats-sectors tbody tr').length === 4);
});

step('audit log: entries newest first, an action filter, the chain verifies', async (t) => {
  if (!needs(t, 'audit')) return;
  await page.locator('#nav').getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  await page.locator('#audit-table tbody tr').first().waitFor(WAIT);
  const seqs = (await page.locator('#audit-table tbody td[data-label="Seq"]').allInnerTexts()).map(Number);
  assert.ok(seqs.length >= 5, 'entries are listed');
  assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
  await page.locator('#audit-action').fill('report.');
  await page.locator('#audit-action').press('Enter');
  await page.locator('#audit-table tbody tr').first().waitFor(WAIT);
  await page.waitForFunction(() => [...document.querySelectorAll('#audit-table td[data-label="Action"]')]
    .every((td) => td.textContent.startsWith('report.')));
  assert.ok(await page.locator('#audit-table tbody tr').count() >= 2);
  await page.getByRole('button', { name: 'Verify chain' }).press('Enter');
  await page.locator('#audit-verdict.ok', { hasText: 'Chain ok' }).waitFor(WAIT);
  await shot('audit', { fullPage: true });
});

step('an operator key added, then rotated, from the organization page', async (t) => {
  if (!needs(t, 'orgs', 'keys')) return;
  const dir = await mkdtemp(path.join(tmpdir(), 'isacd-keys-'));
  try {
    const keygen = async (name) =>
      JSON.parse((await run(ISACD_BIN, ['admin', 'keygen', '--out', path.join(dir, name)])).stdout);
    const first = await keygen('first');
    const second = await keygen('second');
    const report = {
      title: 'Signed with a key added in the dashboard', summary: 'Key management check.',
      incident_type: 'other', severity: 'low', sector: 'electric_power',
      detected_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), phase: 'early_warning',
      tlp: 'GREEN', impact: { class: 'none', description: 'None.' },
    };
    await page.locator('#nav').getByRole('link', { name: 'Organizations' }).click();
    await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
    await page.locator('#orgs-table a', { hasText: ORG_NAME }).click();
    await page.getByRole('heading', { level: 1, name: ORG_NAME }).waitFor(WAIT);
    await page.locator('#keys-table').waitFor();

    await page.getByRole('button', { name: 'Add a key…' }).click();
    await page.locator('#key-public').fill(first.public_key);
    await page.locator('#key-id').fill('browser-added');
    await page.getByRole('button', { name: 'Add key', exact: true }).click();
    await page.locator('#keys-note', { hasText: 'Key “browser-added” added.' }).waitFor(WAIT);
    await submit(report, first.secret_key_file, 'browser-added'); // throws unless accepted

    const added = page.locator('#keys-table tr[data-key="browser-added"]');
    await added.getByRole('button', { name: 'Rotate browser-added…' }).click();
    await page.locator('#key-public').fill(second.public_key);
    await page.locator('#key-id').fill('browser-rotated');
    await page.getByRole('button', { name: 'Rotate browser-added', exact: true }).click();
    await page.locator('#keys-note', { hasText: '“browser-added” revoked' }).waitFor(WAIT);
    await added.locator('td[data-label="State"]', { hasText: 'revoked' }).waitFor();
    await page.locator('#keys-table tr[data-key="browser-rotated"] td[data-label="State"]', { hasText: 'active' }).waitFor();
    await assert.rejects(submit(report, first.secret_key_file, 'browser-added'), (err) => {
      assert.match(err.stdout, /key-revoked/);
      return true;
    });
    await submit(report, second.secret_key_file, 'browser-rotated');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

step('a dropped stream reconnects with Last-Event-ID and the server resumes it', async (t) => {
  if (!needs(t, 'stream', 'audit')) return;
  // the first connection after a reload is cut short after one event (the
  // latest real audit entry); the reconnection goes to the real server
  const head = (await (await fetch(`${BASE}/v1/coord/audit?limit=1`, { headers: { Authorization: `Bearer ${COORD_TOKEN}` } })).json()).entries[0];
  let cut = 0;
  const isStream = (url) => url.pathname === ENDPOINTS.stream;
  await page.route(isStream, async (route) => {
    if (cut++ > 0) return route.continue();
    const { seq, at, actor, action, subject, detail } = head;
    return route.fulfill({ status: 200, contentType: 'text/event-stream',
      body: `id: ${seq}\nevent: audit\ndata: ${JSON.stringify({ seq, at, actor, action, subject, detail })}\n\n` });
  });
  try {
    const opened = streamRequests.length;
    await page.reload();
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.evaluate(() => { location.hash = '#/queue'; });
    await page.locator('#queue-status', { hasText: 'live' }).waitFor(WAIT);
    const after = streamRequests.slice(opened);
    assert.ok(after.length >= 2, `the stream was opened again after the cut (${after.length})`);
    assert.equal(after[0].lastEventId, undefined, 'the first connection starts at the end');
    assert.equal(after.at(-1).lastEventId, String(head.seq), 'the reconnection resumes after the last event seen');
    assert.equal(after.at(-1).authorization, `Bearer ${COORD_TOKEN}`);
  } finally {
    await page.unroute(isStream).catch(() => {});
  }
});

step('every page fits a 390-px screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const pages = [['queue', 'Queue'], ['bulletins', 'Bulletins'], ['orgs', 'Organizations'], ['stats', 'Statistics'],
      ['audit', 'Audit log']].filter(([p]) => p === 'queue' || has[p]);
    for (const [p, heading] of pages) {
      await page.evaluate((hash) => { location.hash = hash; }, `#/${p}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.locator(p === 'queue' ? '#queue-table' : `#view-${p} table`).first().waitFor(WAIT);
      await noSidewaysScroll(p);
      await shot(`${p}-390`, { fullPage: true });
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
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
