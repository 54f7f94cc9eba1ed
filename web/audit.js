// audit.js — the audit log, newest first, with an action filter (exact, or a
// prefix ending in "."), paged by seq; "Verify chain" re-checks the hash chain
// on the server.

import { $, act, api, cell, h, numCell, query, setText, table, when } from './core.js';

const PREFIXES = ['report.', 'bulletin.', 'org.', 'key.', 'token.', 'delivery.', 'regime.', 'subscriber.', 'subscription.'];
const st = { action: '', items: [], before: null, gen: 0, built: false };

export function resetAudit() {
  st.gen++;
  st.items = [];
  st.built = false;
  $('audit-body').replaceChildren();
}

function build() {
  const action = h('input', { id: 'audit-action', name: 'action', type: 'search', maxlength: 64, list: 'audit-actions',
    placeholder: 'e.g. key. or bulletin.approved', spellcheck: 'false', autocomplete: 'off' });
  action.value = st.action;
  const filter = h('button', { type: 'submit' }, 'Filter');
  const verify = h('button', { type: 'button', id: 'audit-verify', class: 'primary' }, 'Verify chain');
  verify.addEventListener('click', () => verifyChain(verify));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    h('label', { for: 'audit-action', class: 'grow' }, 'Action (exact, or a prefix ending in “.”)', action),
    h('datalist', { id: 'audit-actions' }, PREFIXES.map((p) => h('option', { value: p }))),
    filter, verify);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    st.action = action.value.trim();
    loadAudit(false);
  });
  $('audit-body').replaceChildren(form,
    h('div', { id: 'audit-verdict', role: 'status', class: 'verdict', hidden: true }),
    h('div', { id: 'audit-list' }, h('p', { class: 'muted' }, 'Loading…')),
    h('p', { class: 'more' }, h('button', { type: 'button', id: 'audit-more', hidden: true, onclick: () => loadAudit(true) }, 'Older')));
  st.built = true;
}

export function showAudit() {
  if (!st.built) build();
  loadAudit(false);
}

// The detail object as "key: value" lines.
function detail(d) {
  if (d === null || d === undefined || typeof d !== 'object') return h('code', {}, d === undefined ? '' : JSON.stringify(d));
  return h('span', { class: 'detail' }, Object.entries(d).map(([k, v]) => h('span', { class: 'kv' },
    h('span', { class: 'muted' }, `${k}: `), h('code', { class: 'wrap' }, typeof v === 'string' ? v : JSON.stringify(v)))));
}

function row(e) {
  return h('tr', { 'data-seq': e.seq },
    numCell('Seq', e.seq),
    cell('At', when(e.at, true)),
    cell('Action', h('code', {}, e.action)),
    cell('Actor', h('code', { class: 'wrap' }, e.actor)),
    cell('Subject', h('code', { class: 'wrap' }, e.subject || '—')),
    cell('Detail', detail(e.detail)),
    cell('Hash', h('code', { title: e.hash }, (e.hash || '').slice(0, 12))));
}

async function loadAudit(more) {
  const gen = ++st.gen;
  const page = await act($('audit-more'), $('audit-error'), () =>
    api(`/v1/coord/audit${query({ limit: 50, action: st.action, before: more ? st.before : '' })}`));
  if (!page && gen === st.gen) $('audit-list').replaceChildren();
  if (!page || gen !== st.gen) return;
  st.items = (more ? st.items : []).concat(page.entries || []);
  st.before = page.next_before ?? null;
  $('audit-list').replaceChildren(st.items.length
    ? table('list audit', 'Audit log, newest first',
      [['Seq', 'num'], 'At', 'Action', 'Actor', 'Subject', 'Detail', 'Hash'], st.items.map(row), { id: 'audit-table' })
    : h('p', { class: 'muted' }, 'No entries match.'));
  $('audit-more').hidden = st.before === null;
}

async function verifyChain(button) {
  const out = $('audit-verdict');
  out.hidden = true;
  const res = await act(button, $('audit-error'), () => api('/v1/coord/audit/verify', { method: 'POST' }));
  if (!res) return;
  setText($('audit-error'), '');
  out.className = `verdict ${res.ok ? 'ok' : 'bad'}`;
  out.replaceChildren(res.ok
    ? h('strong', {}, `Chain ok: ${res.checked} entr${res.checked === 1 ? 'y' : 'ies'} checked${res.head_seq !== null && res.head_seq !== undefined ? `, head seq ${res.head_seq}` : ''}.`)
    : h('strong', {}, `Chain BROKEN: first bad entry seq ${res.first_bad_seq} (${res.checked} checked).`));
  out.hidden = false;
}
