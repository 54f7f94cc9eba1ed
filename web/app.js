// isacd coordinators' dashboard: plain ES module, no framework, no build step.
//
// It talks to this origin's /v1/coord API only, with the coordinator's
// bearer token, which lives in sessionStorage (this tab) and in the
// Authorization header, never in a URL. Every text from the server goes into
// the page through textContent or attributes, never as HTML.

const TOKEN_KEY = 'isacd.coordinator.token';
const QUEUE_POLL_MS = 3000; // the queue refreshes itself this often while shown
const DRAFT_POLL_MS = 1500; // an incident without its bulletin yet is re-read this often
const PAGE = 50;
const REDACTED = '[redacted]';

const VOCAB = {
  sector: ['information_communication', 'finance', 'aviation', 'airports', 'railways',
    'electric_power', 'gas', 'government', 'medical', 'water', 'logistics', 'chemicals',
    'credit_cards', 'petroleum', 'ports'],
  severity: ['low', 'medium', 'high', 'critical'],
  status: ['open', 'closed'],
  review: ['pending_review', 'published', 'rejected', 'withheld', 'none'],
  phase: ['early_warning', 'notification', 'final'],
};
const FILTERS = ['sector', 'severity', 'status', 'review', 'phase', 'q'];

const REASONS = {
  'org-name': 'organization name', 'org-id': 'organization id', 'key-id': 'key id',
  term: 'redaction term', contact: 'contact', 'own-domain': 'own domain',
  'own-range': 'own address range', private: 'private address', email: 'e-mail address',
  phone: 'phone number',
};

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  filters: Object.fromEntries(FILTERS.map((k) => [k, ''])),
  items: [],
  cursor: null,
  pagedBeyondFirst: false,
  queueGen: 0,
  queueLoaded: false,
  queueTimer: null,
  queueBusy: false,
  incidentId: null,
  incident: null,
  incidentGen: 0,
  incidentTimer: null,
  serverKey: undefined, // undefined: not asked yet; null: unavailable
};

// ---- small helpers ---------------------------------------------------------

// h('a', {href: '#'}, 'text', child…): an element; null/false children are skipped.
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const human = (s) => (s === null || s === undefined || s === '' ? '—' : String(s).replace(/_/g, ' '));

function utcText(date) {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

const fmtDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fmtDateTimeSec = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const fmtTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

// A <time>: the viewer's local time, the UTC value on hover.
function when(iso, precise = false) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, iso);
  return h('time', { datetime: iso, title: utcText(d) },
    (precise ? fmtDateTimeSec : fmtDateTime).format(d));
}

function badge(kind, value) {
  const v = value === null || value === undefined ? 'none' : String(value);
  const cls = `badge ${kind}-${v.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('span', { class: cls }, kind === 'tlp' ? `TLP:${v}` : human(v));
}

function show(el, on) {
  el.hidden = !on;
}

function setText(el, text) {
  el.textContent = text || '';
  show(el, Boolean(text));
}

// ---- the API ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.problem = p;
  }

  // "Title: detail", as the server put it.
  describe() {
    const { title, detail } = this.problem;
    if (this.status === 0) return `The server cannot be reached (${detail || 'network error'}).`;
    if (title && detail && detail !== title) return `${title}: ${detail}.`;
    return `${title || detail || 'Request failed'} (HTTP ${this.status}).`;
  }
}

async function api(path, { method = 'GET', body, token = state.token } = {}) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token}` };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { detail: e && e.message ? e.message : String(e) });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Any call in a session that finds the token refused ends the session.
function sessionLost(err) {
  if (err instanceof ApiError && err.status === 401 && state.token) {
    signOut('Your token was refused (unknown or revoked); sign in again.');
    return true;
  }
  return false;
}

// ---- sign in / out ---------------------------------------------------------

function signInError(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 401) return `This token is unknown or revoked. ${err.describe()}`;
  if (err.status === 403) return `This token is not a coordinator's. ${err.describe()}`;
  return err.describe();
}

async function signIn(ev) {
  ev.preventDefault();
  const input = $('token');
  const token = input.value.trim();
  setText($('signin-error'), '');
  $('signin-note').textContent = '';
  if (!token) {
    setText($('signin-error'), 'Enter a token.');
    input.focus();
    return;
  }
  const button = $('signin-submit');
  button.disabled = true;
  try {
    await api('/v1/coord/incidents?limit=1', { token });
  } catch (err) {
    setText($('signin-error'), signInError(err));
    input.select();
    input.focus();
    return;
  } finally {
    button.disabled = false;
  }
  input.value = '';
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  route();
}

function signOut(note) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  stopQueuePolling();
  stopIncidentPolling();
  // forget what was shown, too
  state.items = [];
  state.cursor = null;
  state.pagedBeyondFirst = false;
  state.queueLoaded = false;
  state.queueGen++;
  state.incidentGen++;
  state.incident = null;
  state.incidentId = null;
  $('queue-rows').replaceChildren();
  $('incident-body').replaceChildren();
  if (location.hash && location.hash !== '#/') history.replaceState(null, '', '#/');
  route();
  $('signin-note').textContent = typeof note === 'string' ? note : 'Signed out.';
}

// ---- routing ---------------------------------------------------------------

function showView(name) {
  for (const v of ['signin', 'queue', 'incident']) show($(`view-${v}`), v === name);
  show($('who'), name !== 'signin');
}

function route() {
  if (!state.token) {
    stopQueuePolling();
    stopIncidentPolling();
    showView('signin');
    setText($('signin-error'), '');
    $('token').focus();
    return;
  }
  const m = /^#\/incidents\/([0-9a-fA-F-]{1,64})$/.exec(location.hash);
  if (m) {
    stopQueuePolling();
    showView('incident');
    openIncident(m[1]);
  } else {
    stopIncidentPolling();
    showView('queue');
    state.incidentId = null;
    if (!state.queueLoaded) reloadQueue();
    else refreshQueue();
    if (document.activeElement === document.body) $('queue-h').focus();
  }
}

// ---- the queue -------------------------------------------------------------

function queuePath(cursor) {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (state.filters[k]) p.set(k, state.filters[k]);
  p.set('limit', String(PAGE));
  if (cursor) p.set('cursor', cursor);
  return `/v1/coord/incidents?${p}`;
}

function stopQueuePolling() {
  clearTimeout(state.queueTimer);
  state.queueTimer = null;
}

function scheduleQueuePoll() {
  stopQueuePolling();
  if (!state.token || $('view-queue').hidden) return;
  state.queueTimer = setTimeout(() => {
    if (document.visibilityState === 'visible') refreshQueue();
    else scheduleQueuePoll();
  }, QUEUE_POLL_MS);
}

function queueStatus(text) {
  $('queue-status').textContent = text;
}

// Filters changed: start again from the first page.
function reloadQueue() {
  state.queueGen++;
  state.items = [];
  state.cursor = null;
  state.pagedBeyondFirst = false;
  state.queueLoaded = false;
  $('queue-rows').replaceChildren();
  refreshQueue();
}

// Re-read the first page; merge it with what is shown (new rows on top).
async function refreshQueue() {
  if (state.queueBusy || !state.token) return;
  const gen = state.queueGen;
  state.queueBusy = true;
  stopQueuePolling();
  let page;
  try {
    page = await api(queuePath(null));
  } catch (err) {
    state.queueBusy = false;
    if (gen !== state.queueGen || sessionLost(err)) {
      if (state.token && gen !== state.queueGen) refreshQueue();
      return;
    }
    setText($('queue-error'), err.describe());
    queueStatus('Not updated; trying again.');
    scheduleQueuePoll();
    return;
  }
  state.queueBusy = false;
  if (gen !== state.queueGen) { // filters changed meanwhile
    refreshQueue();
    return;
  }
  setText($('queue-error'), '');
  const known = new Set(state.items.map((i) => i.id));
  const fresh = page.incidents || [];
  const freshIds = new Set(fresh.map((i) => i.id));
  const added = state.queueLoaded ? fresh.filter((i) => !known.has(i.id)).length : 0;
  if (state.pagedBeyondFirst) {
    state.items = fresh.concat(state.items.filter((i) => !freshIds.has(i.id)));
  } else {
    state.items = fresh;
    state.cursor = page.next_cursor || null;
  }
  const firstLoad = !state.queueLoaded;
  state.queueLoaded = true;
  renderQueue(firstLoad ? new Set() : new Set(fresh.filter((i) => !known.has(i.id)).map((i) => i.id)));
  const now = fmtTime.format(new Date());
  queueStatus(added > 0
    ? `${added} new · updated ${now}`
    : `Updated ${now} · refreshes every ${QUEUE_POLL_MS / 1000} s`);
  scheduleQueuePoll();
}

async function moreQueue() {
  if (!state.cursor || !state.token) return;
  const gen = state.queueGen;
  const button = $('queue-more');
  button.disabled = true;
  try {
    const page = await api(queuePath(state.cursor));
    if (gen !== state.queueGen) return;
    const known = new Set(state.items.map((i) => i.id));
    state.items = state.items.concat((page.incidents || []).filter((i) => !known.has(i.id)));
    state.cursor = page.next_cursor || null;
    state.pagedBeyondFirst = true;
    renderQueue(new Set());
  } catch (err) {
    if (!sessionLost(err)) setText($('queue-error'), err.describe());
  } finally {
    button.disabled = false;
  }
}

const rowKeys = new WeakMap(); // row -> the JSON it was drawn from

function queueRow(it) {
  const org = it.organization || {};
  const b = it.bulletin;
  const cell = (label, ...content) => h('td', { 'data-label': label }, ...content);
  return h('tr', { 'data-id': it.id },
    cell('Received', when(it.created_at)),
    h('td', { class: 'title', 'data-label': 'Title' },
      h('a', { href: `#/incidents/${encodeURIComponent(it.id)}` }, it.title)),
    cell('Organization', org.name || '—'),
    cell('Sector', human(it.sector)),
    cell('Severity', badge('sev', it.severity)),
    cell('TLP', badge('tlp', it.tlp)),
    cell('Phase', human(it.phase)),
    cell('Status', human(it.status)),
    cell('Bulletin', b ? [badge('review', b.status), h('span', { class: 'muted small' }, ` v${b.version}`)]
      : h('span', { class: 'muted' }, 'not yet')),
    h('td', { class: 'num', 'data-label': 'Reports' }, String(it.report_count ?? '')));
}

// Update the rows in place, so a focused link keeps its focus across refreshes.
function renderQueue(freshIds) {
  const tbody = $('queue-rows');
  const existing = new Map([...tbody.children].map((tr) => [tr.dataset.id, tr]));
  let next = tbody.firstElementChild;
  for (const it of state.items) {
    const key = JSON.stringify(it);
    let row = existing.get(it.id);
    existing.delete(it.id);
    if (row && rowKeys.get(row) !== key) {
      const focused = row.contains(document.activeElement);
      const replacement = queueRow(it);
      row.replaceWith(replacement);
      if (next === row) next = replacement;
      row = replacement;
      if (focused) row.querySelector('a').focus();
    } else if (!row) {
      row = queueRow(it);
      if (freshIds.has(it.id)) row.classList.add('fresh');
    }
    rowKeys.set(row, key);
    if (row === next) next = next.nextElementSibling;
    else tbody.insertBefore(row, next);
  }
  for (const row of existing.values()) row.remove();
  show($('queue-empty'), state.items.length === 0);
  show($('queue-table'), state.items.length > 0);
  show($('queue-more'), Boolean(state.cursor));
}

function setupFilters() {
  const form = $('filters');
  for (const [name, values] of Object.entries(VOCAB)) {
    const select = form.elements[name];
    for (const v of values) select.append(h('option', { value: v }, human(v)));
  }
  let debounce = null;
  const apply = () => {
    clearTimeout(debounce);
    let changed = false;
    for (const k of FILTERS) {
      const v = form.elements[k].value.trim();
      if (state.filters[k] !== v) {
        state.filters[k] = v;
        changed = true;
      }
    }
    if (changed) reloadQueue();
  };
  form.addEventListener('change', apply);
  form.addEventListener('input', (ev) => {
    if (ev.target.name !== 'q') return;
    clearTimeout(debounce);
    debounce = setTimeout(apply, 300);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  form.addEventListener('reset', () => setTimeout(apply, 0));
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== '/' || $('view-queue').hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
    ev.preventDefault();
    form.elements.q.focus();
  });
}

// ---- one incident ----------------------------------------------------------

function stopIncidentPolling() {
  clearTimeout(state.incidentTimer);
  state.incidentTimer = null;
}

async function openIncident(id) {
  const again = state.incidentId === id;
  state.incidentId = id;
  if (!again) {
    state.incident = null;
    $('incident-h').textContent = 'Incident';
    $('incident-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    setText($('incident-error'), '');
  }
  await loadIncident();
  if (!again) $('incident-h').focus();
}

async function loadIncident() {
  const id = state.incidentId;
  if (!state.token || !id) return;
  const gen = ++state.incidentGen;
  stopIncidentPolling();
  let inc;
  try {
    inc = await api(`/v1/coord/incidents/${encodeURIComponent(id)}`);
  } catch (err) {
    if (gen !== state.incidentGen || sessionLost(err)) return;
    if (err.status === 404) {
      $('incident-h').textContent = 'No such incident';
      $('incident-body').replaceChildren();
    }
    setText($('incident-error'), err.describe());
    return;
  }
  if (gen !== state.incidentGen || state.incidentId !== id) return;
  state.incident = inc;
  setText($('incident-error'), '');
  renderIncident(inc);
  if (!inc.bulletin) { // the worker makes it within moments: look again
    state.incidentTimer = setTimeout(() => {
      if (state.incidentId === id && !$('view-incident').hidden) loadIncident();
    }, DRAFT_POLL_MS);
  }
}

function renderIncident(inc) {
  const body = $('incident-body');
  const note = body.querySelector('#action-note');
  const kept = note ? note.textContent : '';
  $('incident-h').textContent = inc.title;
  document.title = `${inc.title} · isacd`;
  const latest = (inc.reports || []).at(-1);
  body.replaceChildren(
    h('p', { class: 'chips' },
      badge('sev', inc.severity), badge('tlp', inc.tlp), badge('status', inc.status),
      h('span', { class: 'chip' }, human(inc.phase)), h('span', { class: 'chip' }, human(inc.incident_type)),
      h('span', { class: 'chip' }, human(inc.sector))),
    h('p', { class: 'muted small' }, 'First reported ', when(inc.created_at, true), ' · last update ',
      when(inc.updated_at, true), ` · ${inc.report_count} report${inc.report_count === 1 ? '' : 's'}`),
    h('div', { class: 'cards' }, orgCard(inc.organization), bulletinCard(inc)),
    compareSection(inc.bulletin, latest && latest.report),
    reportsSection(inc.reports || []),
  );
  if (kept) $('action-note').textContent = kept;
  verifyReceipts(inc.reports || []);
}

function dl(pairs) {
  return h('dl', { class: 'pairs' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function orgCard(org) {
  const o = org || {};
  return h('section', { class: 'card', 'aria-labelledby': 'org-h' },
    h('h2', { id: 'org-h' }, 'Reporting organization'),
    dl([['Name', o.name || '—'], ['Sector', human(o.sector)], ['Region', human(o.region)],
      ['Id', h('code', {}, o.id || '—')]]));
}

function bulletinCard(inc) {
  const b = inc.bulletin;
  const section = h('section', { class: 'card', 'aria-labelledby': 'bulletin-h' },
    h('h2', { id: 'bulletin-h', tabindex: -1 }, 'Bulletin'));
  if (!b) {
    section.append(h('p', { class: 'muted' }, 'The anonymized draft is being prepared…'));
    return section;
  }
  const status = b.status;
  const approve = h('button', { type: 'button', id: 'approve', class: 'primary',
    disabled: status !== 'pending_review', onclick: () => approveBulletin(b) },
  `Approve and publish v${b.version}`);
  const rejectBtn = h('button', { type: 'button', id: 'reject-open',
    disabled: status !== 'pending_review', 'aria-expanded': 'false', 'aria-controls': 'reject-form' },
  'Reject…');
  const editBtn = h('button', { type: 'button', id: 'edit-open', disabled: status === 'withheld',
    'aria-expanded': 'false', 'aria-controls': 'edit-form' }, 'Edit…');

  const reason = h('textarea', { id: 'reject-reason', name: 'reason', rows: 3, maxlength: 2000, required: true });
  const rejectForm = h('form', { id: 'reject-form', class: 'panel', hidden: true },
    h('label', { for: 'reject-reason' }, 'Reason for rejecting (kept with the bulletin)'), reason,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'danger' }, 'Reject'),
      h('button', { type: 'button', onclick: () => closePanel(rejectForm, rejectBtn) }, 'Cancel')));
  rejectForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    rejectBulletin(b, reason.value.trim());
  });

  const d = b.draft || {};
  const title = h('input', { id: 'edit-title', name: 'title', maxlength: 200, value: d.title || '' });
  const summary = h('textarea', { id: 'edit-summary', name: 'summary', rows: 8, maxlength: 20000 });
  summary.value = d.summary || '';
  const editForm = h('form', { id: 'edit-form', class: 'panel', hidden: true },
    h('p', { class: 'muted small' }, 'The text is scrubbed again with the reporter\'s profile and becomes a new version to review.'),
    h('label', { for: 'edit-title' }, 'Title'), title,
    h('label', { for: 'edit-summary' }, 'Summary'), summary,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Save as new version'),
      h('button', { type: 'button', onclick: () => closePanel(editForm, editBtn) }, 'Cancel')));
  editForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const patch = {};
    if (title.value !== (d.title || '')) patch.title = title.value;
    if (summary.value !== (d.summary || '')) patch.summary = summary.value;
    editBulletin(b, patch);
  });

  rejectBtn.addEventListener('click', () => togglePanel(rejectForm, rejectBtn, reason, [editForm, editBtn]));
  editBtn.addEventListener('click', () => togglePanel(editForm, editBtn, title, [rejectForm, rejectBtn]));

  const versions = b.versions || [];
  section.append(...[
    h('p', { class: 'chips' }, h('span', { id: 'bulletin-status' }, badge('review', status)),
      h('span', { class: 'chip' }, `version ${b.version}`),
      h('span', { class: 'chip' }, b.published_version ? `published: v${b.published_version}` : 'never published')),
    status === 'rejected' && b.reject_reason ? h('p', { class: 'reason' }, h('strong', {}, 'Rejected: '), b.reject_reason) : null,
    status === 'withheld' ? h('p', { class: 'muted' }, 'TLP:RED: withheld, never published.') : null,
    status === 'rejected' ? h('p', { class: 'muted small' }, 'A new report or an edit makes a version to review.') : null,
    h('div', { class: 'actions' }, approve, rejectBtn, editBtn),
    rejectForm, editForm,
    h('p', { id: 'action-note', class: 'note', role: 'status' }),
    versions.length ? h('details', {},
      h('summary', {}, `Versions (${versions.length})`),
      h('ol', { class: 'versions' }, versions.map((v) => h('li', {},
        `v${v.version} · ${human(v.source)} by ${v.actor} · `, when(v.created_at, true),
        v.published_at ? [' · published ', when(v.published_at, true)] : ' · not published')))) : null,
  ].filter(Boolean));
  return section;
}

function togglePanel(panel, button, focusEl, [otherPanel, otherButton]) {
  closePanel(otherPanel, otherButton, false);
  const open = panel.hidden;
  panel.hidden = !open;
  button.setAttribute('aria-expanded', String(open));
  if (open) focusEl.focus();
}

function closePanel(panel, button, refocus = true) {
  panel.hidden = true;
  button.setAttribute('aria-expanded', 'false');
  if (refocus) button.focus();
}

async function bulletinAction(label, run) {
  const note = $('action-note');
  const buttons = $('incident-body').querySelectorAll('.card button');
  for (const b of buttons) b.disabled = true;
  note.textContent = `${label}…`;
  try {
    await run();
  } catch (err) {
    if (sessionLost(err)) return;
    for (const b of buttons) b.disabled = false;
    note.textContent = '';
    setText($('incident-error'), err.describe());
    return false;
  }
  setText($('incident-error'), '');
  await loadIncident();
  return true;
}

async function approveBulletin(b) {
  if (await bulletinAction('Publishing', () =>
    api(`/v1/coord/bulletins/${encodeURIComponent(b.id)}/approve`, { method: 'POST' }))) {
    $('action-note').textContent = `Version ${b.version} approved and published.`;
    $('bulletin-h').focus();
  }
}

async function rejectBulletin(b, reason) {
  if (!reason) {
    setText($('incident-error'), 'Give a reason for rejecting.');
    $('reject-reason').focus();
    return;
  }
  if (await bulletinAction('Rejecting', () =>
    api(`/v1/coord/bulletins/${encodeURIComponent(b.id)}/reject`, { method: 'POST', body: { reason } }))) {
    $('action-note').textContent = `Version ${b.version} rejected.`;
    $('bulletin-h').focus();
  }
}

async function editBulletin(b, patch) {
  if (Object.keys(patch).length === 0) {
    setText($('incident-error'), 'Nothing changed.');
    return;
  }
  if (await bulletinAction('Saving', () =>
    api(`/v1/coord/bulletins/${encodeURIComponent(b.id)}`, { method: 'PATCH', body: patch }))) {
    $('action-note').textContent = 'Saved as a new version, pending review.';
    $('bulletin-h').focus();
  }
}

// ---- the draft beside the original ------------------------------------------

// The value at a JSON pointer (RFC 6901), or undefined.
function pointer(doc, ptr) {
  if (!ptr || ptr[0] !== '/') return undefined;
  let cur = doc;
  for (const raw of ptr.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function reasonText(r) {
  return REASONS[r.reason] || human(r.reason);
}

// The original text with each removed part marked, found in order.
function markOriginal(text, reds) {
  const out = [];
  let pos = 0;
  for (const r of reds) {
    if (!r.original) continue;
    const at = text.indexOf(r.original, pos);
    if (at < 0) continue;
    out.push(text.slice(pos, at));
    out.push(h('mark', { class: 'removed', title: `removed: ${reasonText(r)}` }, r.original));
    pos = at + r.original.length;
  }
  out.push(text.slice(pos));
  return out;
}

// The draft text with each "[redacted]" marked. An edit appends its own
// redactions to the draft's list, so the field's last n entries describe its
// n placeholders.
function markDraft(text, fieldReds) {
  const parts = text.split(REDACTED);
  const reds = fieldReds.slice(-Math.min(fieldReds.length, parts.length - 1) || fieldReds.length);
  const out = [];
  parts.forEach((part, i) => {
    out.push(part);
    if (i < parts.length - 1) {
      const r = reds[i];
      out.push(h('mark', { class: 'redaction', title: r ? `“${r.original}” (${reasonText(r)})` : 'redacted' }, REDACTED));
    }
  });
  return out;
}

function textBlock(value, marked) {
  if (typeof value !== 'string') return h('p', { class: 'text muted' }, value === undefined ? '(not in this version)' : '—');
  return h('p', { class: 'text' }, marked);
}

function compareSection(b, report) {
  const section = h('section', { class: 'compare-section', 'aria-labelledby': 'compare-h' },
    h('h2', { id: 'compare-h' }, 'Bulletin draft beside the original'));
  if (!b || !b.draft) {
    section.append(h('p', { class: 'muted' }, 'No draft yet.'));
    return section;
  }
  const d = b.draft;
  const reds = Array.isArray(d.redactions) ? d.redactions : [];
  const fields = [['Title', '/title'], ['Summary', '/summary'], ['Impact', '/impact/description']];
  for (const r of reds) {
    if (!fields.some(([, p]) => p === r.field)) fields.push([r.field, r.field]);
  }
  const grid = h('div', { class: 'compare', role: 'table', 'aria-label': 'Original and draft, field by field' },
    h('div', { class: 'compare-row head', role: 'row' },
      h('div', { role: 'columnheader' }, 'Field'),
      h('div', { role: 'columnheader' }, 'Original (latest report)'),
      h('div', { role: 'columnheader' }, `Draft v${b.version} (what subscribers would get)`)));
  for (const [label, ptr] of fields) {
    const mine = reds.filter((r) => r.field === ptr);
    const orig = pointer(report, ptr);
    const draft = pointer(d, ptr);
    grid.append(h('div', { class: 'compare-row', role: 'row' },
      h('div', { class: 'field', role: 'rowheader' }, label),
      h('div', { class: 'original', role: 'cell', 'data-label': 'Original' },
        textBlock(orig, typeof orig === 'string' ? markOriginal(orig, mine) : null)),
      h('div', { class: 'draft', role: 'cell', 'data-label': 'Draft' },
        textBlock(draft, typeof draft === 'string' ? markDraft(draft, mine) : null))));
  }
  section.append(grid);

  section.append(h('h3', {}, `Redactions (${reds.length})`));
  if (reds.length) {
    section.append(h('table', { class: 'list', id: 'redactions' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Removed'),
        h('th', { scope: 'col' }, 'Why'))),
      h('tbody', {}, reds.map((r) => h('tr', {},
        h('td', { 'data-label': 'Field' }, h('code', {}, r.field)),
        h('td', { 'data-label': 'Removed' }, h('mark', { class: 'removed' }, r.original)),
        h('td', { 'data-label': 'Why' }, reasonText(r)))))));
  } else {
    section.append(h('p', { class: 'muted' }, 'Nothing was removed.'));
  }
  const dropped = Array.isArray(d.dropped_indicators) ? d.dropped_indicators : [];
  if (dropped.length) {
    section.append(h('h3', {}, `Indicators left out (${dropped.length})`),
      h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['Type', 'Value', 'Role', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, dropped.map((x) => h('tr', {},
          h('td', { 'data-label': 'Type' }, x.type), h('td', { 'data-label': 'Value' }, h('code', {}, x.value)),
          h('td', { 'data-label': 'Role' }, x.role), h('td', { 'data-label': 'Why' }, reasonText(x)))))));
  }
  return section;
}

// ---- the reports' timeline ----------------------------------------------------

function check(ok, yes, no) {
  return h('span', { class: ok ? 'ok' : 'bad' }, ok ? `✓ ${yes}` : `✗ ${no}`);
}

function reportsSection(reports) {
  return h('section', { 'aria-labelledby': 'reports-h' },
    h('h2', { id: 'reports-h' }, `Reports (${reports.length}), in arrival order`),
    h('ol', { class: 'timeline' }, reports.map((r, i) => {
      const v = r.verification || {};
      const rc = r.receipt || {};
      return h('li', { class: 'report', 'data-report': r.id },
        h('h3', {}, `#${i + 1} `, when(r.received_at, true), ' · ', human(r.phase)),
        h('p', { class: 'chips' }, badge('sev', r.severity), badge('tlp', r.tlp),
          h('span', { class: 'chip' }, 'key ', h('code', {}, r.key_id))),
        h('p', { class: 'checks' },
          check(v.signature_valid, 'signature valid', 'signature INVALID'), ' ',
          check(v.digest_valid, 'digest valid', 'digest MISMATCH'), ' ',
          v.key_revoked ? h('span', { class: 'warn' }, '! key since revoked') : h('span', { class: 'ok' }, '✓ key not revoked')),
        h('details', { class: 'receipt' },
          h('summary', {}, 'Receipt ', h('span', { class: 'receipt-check muted', 'data-receipt': r.id }, '')),
          dl([['Signed by', h('code', {}, rc.key_id || '—')], ['Received', when(rc.received_at, true)],
            ['Body SHA-256', h('code', { class: 'wrap' }, rc.report_sha256 || '—')],
            ['Signature', h('code', { class: 'wrap' }, rc.signature || '—')]])),
        h('details', {},
          h('summary', {}, 'Signature'),
          dl([['Signature-Input', h('code', { class: 'wrap' }, r.signature_input || '—')],
            ['Signature', h('code', { class: 'wrap' }, r.signature || '—')],
            ['Content-Digest', h('code', { class: 'wrap' }, r.content_digest || '—')]])),
        h('details', {},
          h('summary', {}, 'Report as submitted'),
          h('pre', { class: 'json' }, JSON.stringify(r.report, null, 2))));
    })));
}

// Receipts are checked here too, with WebCrypto's Ed25519 where the browser
// has it: the server's signature over "isacd receipt v1" NUL, the report id,
// the body's SHA-256 (the one Content-Digest carries) and received_at.
async function serverKey() {
  if (state.serverKey !== undefined) return state.serverKey;
  state.serverKey = null;
  try {
    if (!crypto.subtle) return null;
    const res = await fetch('/v1/server-key', { cache: 'no-store', credentials: 'omit' });
    if (!res.ok) return null;
    const k = await res.json();
    const raw = Uint8Array.from(atob(k.public_key), (c) => c.charCodeAt(0));
    state.serverKey = { id: k.key_id, key: await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']) };
  } catch {
    state.serverKey = null;
  }
  return state.serverKey;
}

const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (u8) => [...u8].map((x) => x.toString(16).padStart(2, '0')).join('');

async function verifyReceipt(r, sk) {
  const rc = r.receipt;
  if (!rc || rc.key_id !== sk.id) return 'not checked here (another server key)';
  const digest = /sha-256=:([A-Za-z0-9+/=]+):/.exec(r.content_digest || '');
  if (!digest || hex(unb64(digest[1])) !== rc.report_sha256) return 'does NOT match the body digest';
  const enc = new TextEncoder();
  const sha = Uint8Array.from(rc.report_sha256.match(/../g), (x) => parseInt(x, 16));
  const msg = new Uint8Array([...enc.encode('isacd receipt v1\0'), ...enc.encode(rc.report_id), ...sha, ...enc.encode(rc.received_at)]);
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, sk.key, unb64(rc.signature), msg);
  return ok ? '✓ verified in this browser' : '✗ signature INVALID';
}

async function verifyReceipts(reports) {
  const sk = await serverKey();
  for (const r of reports) {
    const el = document.querySelector(`[data-receipt="${CSS.escape(r.id)}"]`);
    if (!el) continue;
    let text;
    try {
      text = sk ? await verifyReceipt(r, sk) : 'not checked (no Ed25519 in this browser)';
    } catch {
      text = 'could not be checked here';
    }
    el.textContent = `· ${text}`;
    el.className = `receipt-check ${text.startsWith('✓') ? 'ok' : text.includes('INVALID') || text.includes('NOT') ? 'bad' : 'muted'}`;
  }
}

// ---- start -----------------------------------------------------------------

function start() {
  setupFilters();
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', () => signOut());
  $('queue-more').addEventListener('click', moreQueue);
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.token && !$('view-queue').hidden) refreshQueue();
  });
  state.token = sessionStorage.getItem(TOKEN_KEY);
  route();
}

start();
