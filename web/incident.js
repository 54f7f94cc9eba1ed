// incident.js — one incident: its deadlines, the reporting organization,
// the bulletin (approve, reject, edit), the draft beside the original with
// every redaction marked, the indicators with their correlation counts, and
// the reports' timeline with signatures and receipts checked.

import {
  $, api, badge, closePanel, dl, h, human, session, sessionLost, setText, table, cell, numCell,
  togglePanel, when,
} from './core.js';
import { onAudit } from './stream.js';
import { relative } from './queue.js';

const DRAFT_POLL_MS = 1500; // an incident without its bulletin yet is re-read this often
const REDACTED = '[redacted]';

const REASONS = {
  'org-name': 'organization name', 'org-id': 'organization id', 'key-id': 'key id',
  term: 'redaction term', contact: 'contact', 'own-domain': 'own domain',
  'own-range': 'own address range', private: 'private address', email: 'e-mail address',
  phone: 'phone number',
};

const st = { id: null, incident: null, gen: 0, timer: null, serverKey: undefined };

export function resetIncident() {
  stopIncident();
  st.gen++;
  st.incident = null;
  st.id = null;
  $('incident-body').replaceChildren();
}

// ---- one incident ----------------------------------------------------------

export function stopIncident() {
  clearTimeout(st.timer);
  st.timer = null;
}

export async function openIncident(id) {
  const again = st.id === id;
  st.id = id;
  if (!again) {
    st.incident = null;
    $('incident-h').textContent = 'Incident';
    $('incident-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    setText($('incident-error'), '');
  }
  await loadIncident();
  if (!again) $('incident-h').focus();
}

async function loadIncident() {
  const id = st.id;
  if (!session.token || !id) return;
  const gen = ++st.gen;
  stopIncident();
  let inc;
  try {
    inc = await api(`/v1/coord/incidents/${encodeURIComponent(id)}`);
  } catch (err) {
    if (gen !== st.gen || sessionLost(err)) return;
    if (err.status === 404) {
      $('incident-h').textContent = 'No such incident';
      $('incident-body').replaceChildren();
    }
    setText($('incident-error'), err.describe());
    return;
  }
  if (gen !== st.gen || st.id !== id) return;
  const same = st.incident && JSON.stringify(st.incident) === JSON.stringify(inc);
  st.incident = inc;
  setText($('incident-error'), '');
  if (!same) renderIncident(inc);
  if (!inc.bulletin) { // the worker makes it within moments: look again
    st.timer = setTimeout(() => {
      if (st.id === id && !$('view-incident').hidden) loadIncident();
    }, DRAFT_POLL_MS);
  }
}

function renderIncident(inc) {
  const body = $('incident-body');
  const note = body.querySelector('#action-note');
  const kept = note ? note.textContent : '';
  const focused = body.contains(document.activeElement) ? document.activeElement.id : '';
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
    h('div', { class: 'cards' }, orgCard(inc.organization),
      h('div', { class: 'stack' }, bulletinCard(inc), deadlinesCard(inc))),
    compareSection(inc.bulletin, latest && latest.report),
    indicatorsSection(inc.indicators),
    reportsSection(inc.reports || []),
  );
  if (kept) $('action-note').textContent = kept;
  if (focused && $(focused)) $(focused).focus();
  verifyReceipts(inc.reports || []);
}

function orgCard(org) {
  const o = org || {};
  return h('section', { class: 'card', 'aria-labelledby': 'reporter-h' },
    h('h2', { id: 'reporter-h' }, 'Reporting organization'),
    dl([['Name', o.id ? h('a', { href: `#/orgs/${encodeURIComponent(o.id)}` }, o.name || o.id) : (o.name || '—')],
      ['Sector', human(o.sector)], ['Region', human(o.region)], ['Id', h('code', {}, o.id || '—')]]));
}

// What is due when, under the reporting organization's regime.
function deadlinesCard(inc) {
  const d = inc.deadline;
  const list = Array.isArray(inc.deadlines) ? inc.deadlines : null;
  const section = h('section', { class: 'card', 'aria-labelledby': 'deadlines-h' },
    h('h2', { id: 'deadlines-h' }, 'Deadlines'));
  if (!list) {
    section.append(h('p', { class: 'muted' }, 'This server does not report deadlines.'));
    return section;
  }
  if (d) {
    section.append(h('p', { class: 'muted small' }, `Regime “${d.regime}”, counted from detection at `,
      when(d.detected_at, true), '.'),
    d.next_phase && d.due_at
      ? h('p', { class: d.overdue ? 'deadline overdue' : 'deadline due' }, h('strong', {}, d.overdue ? 'Overdue: ' : 'Next: '),
        `${human(d.next_phase)} due `, when(d.due_at), ` (${relative(d.due_at)})`)
      : h('p', { class: 'muted' }, 'Nothing more is due.'));
  }
  section.append(table('list deadlines', 'Deadlines per phase', ['Phase', 'Due', 'Reported', 'State'],
    list.map((x) => h('tr', { 'data-phase': x.phase },
      cell('Phase', human(x.phase)), cell('Due', when(x.due_at)), cell('Reported', when(x.reported_at)),
      cell('State', badge('state', x.state)))), { id: 'deadlines' }));
  return section;
}

// The incident's indicators with how often each was seen across all incidents.
function indicatorsSection(list) {
  const section = h('section', { class: 'compare-section', 'aria-labelledby': 'indicators-h' },
    h('h2', { id: 'indicators-h' }, `Indicators${Array.isArray(list) ? ` (${list.length})` : ''}`));
  if (!Array.isArray(list)) {
    section.append(h('p', { class: 'muted' }, 'This server does not correlate indicators.'));
    return section;
  }
  if (!list.length) {
    section.append(h('p', { class: 'muted' }, 'The reports name no indicators.'));
    return section;
  }
  section.append(h('p', { class: 'muted small' }, 'Counts are across all incidents, every reporter.'),
    table('list', 'Indicators and their correlation counts',
      ['Type', 'Value', 'Role', ['Reports', 'num'], ['Operators', 'num'], ['Incidents', 'num'], 'Sectors'],
      list.map((x) => h('tr', { class: x.incidents > 1 ? 'correlated' : null },
        cell('Type', x.type), cell('Value', h('code', { class: 'wrap' }, x.value)), cell('Role', human(x.role)),
        numCell('Reports', x.reports), numCell('Operators', x.operators), numCell('Incidents', x.incidents),
        cell('Sectors', (x.sectors || []).map(human).join(', ') || '—'))), { id: 'indicators' }));
  return section;
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

  rejectBtn.addEventListener('click', () => togglePanel(rejectForm, rejectBtn, reason, [[editForm, editBtn]]));
  editBtn.addEventListener('click', () => togglePanel(editForm, editBtn, title, [[rejectForm, rejectBtn]]));

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
  if (st.serverKey !== undefined) return st.serverKey;
  st.serverKey = null;
  try {
    if (!crypto.subtle) return null;
    const res = await fetch('/v1/server-key', { cache: 'no-store', credentials: 'omit' });
    if (!res.ok) return null;
    const k = await res.json();
    const raw = Uint8Array.from(atob(k.public_key), (c) => c.charCodeAt(0));
    st.serverKey = { id: k.key_id, key: await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']) };
  } catch {
    st.serverKey = null;
  }
  return st.serverKey;
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

// Live: a report or bulletin event about this incident re-reads it, unless a
// form is open (someone is typing).
export function initIncident() {
  let timer = null;
  onAudit((entry) => {
    const inc = st.incident;
    if (!inc || $('view-incident').hidden) return;
    if (entry) {
      if (!/^(report|bulletin)\./.test(entry.action || '')) return;
      const d = entry.detail || {};
      const b = inc.bulletin;
      const ids = [entry.subject, d.incident_id, d.bulletin_id, d.report_id];
      const mine = ids.includes(inc.id) || (b && ids.includes(b.id))
        || (inc.reports || []).some((r) => ids.includes(r.id));
      if (!mine) return;
    }
    if ($('incident-body').querySelector('form.panel:not([hidden])')) return;
    clearTimeout(timer);
    timer = setTimeout(loadIncident, 300);
  });
}
