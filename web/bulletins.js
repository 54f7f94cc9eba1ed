// bulletins.js — what was published, to how many subscribers, how its
// webhooks fared; dead webhook deliveries with a replay button.

import {
  $, PAGE, act, api, badge, cell, h, human, numCell, options, query, table, when,
} from './core.js';

const st = { status: '', cursor: null, items: [], dead: [], deadCursor: null, gen: 0, built: false };

export function resetBulletins() {
  st.gen++;
  st.items = [];
  st.dead = [];
  st.built = false;
  $('bulletins-body').replaceChildren();
}

function build() {
  const status = h('select', { id: 'bulletins-status', name: 'status' },
    options(['pending_review', 'published', 'rejected', 'withheld'], 'any'));
  status.value = st.status;
  status.addEventListener('change', () => {
    st.status = status.value;
    loadBulletins(false);
  });
  $('bulletins-body').replaceChildren(
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the bulletins', onsubmit: (e) => e.preventDefault() },
      h('label', { for: 'bulletins-status' }, 'Status ', status),
      h('button', { type: 'button', id: 'bulletins-reload', onclick: () => showBulletins() }, 'Reload')),
    h('div', { id: 'bulletins-list' }, h('p', { class: 'muted' }, 'Loading…')),
    h('p', { class: 'more' }, h('button', { type: 'button', id: 'bulletins-more', hidden: true, onclick: () => loadBulletins(true) }, 'More')),
    h('section', { class: 'compare-section', 'aria-labelledby': 'dead-h' },
      h('h2', { id: 'dead-h', tabindex: -1 }, 'Dead webhook deliveries'),
      h('p', { class: 'muted small' }, 'Deliveries that failed for their whole retry window. Replaying one sends it again with the same Idempotency-Key.'),
      h('p', { id: 'dead-note', class: 'note', role: 'status' }),
      h('p', { id: 'dead-error', class: 'error', role: 'alert', hidden: true }),
      h('div', { id: 'dead-list' }, h('p', { class: 'muted' }, 'Loading…')),
      h('p', { class: 'more' }, h('button', { type: 'button', id: 'dead-more', hidden: true, onclick: () => loadDead(true) }, 'More'))));
  st.built = true;
}

export function showBulletins() {
  if (!st.built) build();
  loadBulletins(false);
  loadDead(false);
}

function deliveriesText(d) {
  if (!d) return '—';
  const parts = [h('span', { class: 'ok' }, `${d.delivered ?? 0} delivered`), ' · ',
    h('span', {}, `${d.pending ?? 0} pending`), ' · ',
    h('span', { class: d.dead ? 'bad' : 'muted' }, `${d.dead ?? 0} dead`)];
  return h('span', { class: 'small' }, parts);
}

function bulletinRow(b) {
  return h('tr', { 'data-id': b.id },
    cell('Updated', when(b.updated_at)),
    h('td', { class: 'title', 'data-label': 'Title' },
      h('a', { href: `#/incident/${encodeURIComponent(b.incident_id)}` }, b.title || '(untitled)')),
    cell('Status', badge('review', b.status)),
    cell('Version', `v${b.version}`, b.published_version && b.published_version !== b.version
      ? h('span', { class: 'muted small' }, ` (published v${b.published_version})`) : null),
    cell('TLP', badge('tlp', b.tlp)),
    cell('Severity', badge('sev', b.severity)),
    cell('Sector', human(b.sector)),
    cell('Published', when(b.published_at)),
    numCell('Recipients', b.recipients),
    cell('Webhooks', deliveriesText(b.deliveries)));
}

async function loadBulletins(more) {
  const gen = ++st.gen;
  const page = await act($('bulletins-more'), $('bulletins-error'), () =>
    api(`/v1/coord/bulletins${query({ status: st.status, limit: PAGE, cursor: more ? st.cursor : '' })}`));
  if (!page && gen === st.gen) $('bulletins-list').replaceChildren();
  if (!page || gen !== st.gen) return;
  st.items = (more ? st.items : []).concat(page.bulletins || []);
  st.cursor = page.next_cursor || null;
  $('bulletins-list').replaceChildren(st.items.length
    ? table('queue', 'Bulletins, newest update first',
      ['Updated', 'Title', 'Status', 'Version', 'TLP', 'Severity', 'Sector', 'Published', ['Recipients', 'num'], 'Webhooks'],
      st.items.map(bulletinRow), { id: 'bulletins-table' })
    : h('p', { class: 'muted' }, 'No bulletins.'));
  $('bulletins-more').hidden = !st.cursor;
}

function deadRow(d) {
  const button = h('button', { type: 'button', class: 'replay', 'data-id': d.id }, `Replay delivery ${d.id}`);
  button.addEventListener('click', () => replay(d, button));
  return h('tr', { 'data-id': d.id },
    numCell('Delivery', d.id),
    cell('Bulletin', h('code', { class: 'wrap' }, d.bulletin_id), ` v${d.version}`),
    cell('Webhook', h('code', { class: 'wrap' }, d.webhook_url)),
    numCell('Attempts', d.attempts),
    cell('Last failure', d.last_status ? `HTTP ${d.last_status}` : '', d.last_status && d.last_error ? ' · ' : '', d.last_error || ''),
    cell('Dead since', when(d.dead_at)),
    cell('Action', button));
}

async function loadDead(more) {
  const page = await act($('dead-more'), $('dead-error'), () =>
    api(`/v1/coord/deliveries${query({ state: 'dead', limit: PAGE, cursor: more ? st.deadCursor : '' })}`));
  if (!page) {
    $('dead-list').replaceChildren();
    return;
  }
  st.dead = (more ? st.dead : []).concat(page.deliveries || []);
  st.deadCursor = page.next_cursor || null;
  $('dead-list').replaceChildren(st.dead.length
    ? table('list', 'Dead webhook deliveries, newest first',
      [['Delivery', 'num'], 'Bulletin', 'Webhook', ['Attempts', 'num'], 'Last failure', 'Dead since', 'Action'],
      st.dead.map(deadRow), { id: 'dead-table' })
    : h('p', { class: 'muted', id: 'dead-none' }, 'No dead deliveries.'));
  $('dead-more').hidden = !st.deadCursor;
}

async function replay(d, button) {
  $('dead-note').textContent = '';
  const res = await act(button, $('dead-error'), () =>
    api(`/v1/coord/deliveries/${encodeURIComponent(d.id)}/replay`, { method: 'POST' }));
  if (!res) return;
  $('dead-note').textContent = `Delivery ${d.id} replayed: ${human(res.state)}, first attempt now.`;
  $('dead-h').focus();
  loadDead(false);
  loadBulletins(false);
}
