// queue.js — the triage queue: incidents newest first, filters, keyset
// pages, the next deadline of each, kept current by the live stream (or by
// polling where the server has no stream).

import {
  $, ApiError, PAGE, VOCAB, api, badge, duration, fmtTime, h, human, options, session, sessionLost,
  setText, show, when,
} from './core.js';
import { onAudit, onStreamState, stream } from './stream.js';

const POLL_MS = 3000; // without the stream, the queue refreshes itself this often while shown
const DEBOUNCE_MS = 250; // a burst of audit events makes one refresh
const FILTERS = ['sector', 'severity', 'status', 'review', 'phase', 'overdue', 'q'];

const q = {
  filters: Object.fromEntries(FILTERS.map((k) => [k, ''])),
  items: [],
  cursor: null,
  pagedBeyondFirst: false,
  gen: 0,
  loaded: false,
  timer: null,
  debounce: null,
  busy: false,
  again: false,
  status: '',
};

const visible = () => Boolean(session.token) && !$('view-queue').hidden;

function path(cursor) {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (q.filters[k]) p.set(k, q.filters[k]);
  p.set('limit', String(PAGE));
  if (cursor) p.set('cursor', cursor);
  return `/v1/coord/incidents?${p}`;
}

export function stopQueue() {
  clearTimeout(q.timer);
  clearTimeout(q.debounce);
  q.timer = null;
}

function schedulePoll() {
  clearTimeout(q.timer);
  q.timer = null;
  if (!visible() || stream.state === 'live') return;
  q.timer = setTimeout(() => {
    if (document.visibilityState === 'visible') refreshQueue();
    else schedulePoll();
  }, POLL_MS);
}

// "Updated 10:42:01 · live": what was done, then how the queue keeps current.
function status(text) {
  q.status = text;
  $('queue-status').textContent = `${text} · ${liveText()}`;
}

function liveText() {
  if (stream.state === 'live') return 'live';
  if (stream.state === 'unavailable') return `refreshes every ${POLL_MS / 1000} s`;
  if (stream.state === 'connecting') return `connecting; refreshes every ${POLL_MS / 1000} s meanwhile`;
  return `reconnecting; refreshes every ${POLL_MS / 1000} s meanwhile`;
}

// Shown again (or first): load or refresh.
export function showQueue() {
  if (!q.loaded) reloadQueue();
  else refreshQueue();
}

// Signed out: forget everything shown.
export function resetQueue() {
  stopQueue();
  q.items = [];
  q.cursor = null;
  q.pagedBeyondFirst = false;
  q.loaded = false;
  q.gen++;
  $('queue-rows').replaceChildren();
}

// Filters changed: start again from the first page.
function reloadQueue() {
  q.gen++;
  q.items = [];
  q.cursor = null;
  q.pagedBeyondFirst = false;
  q.loaded = false;
  $('queue-rows').replaceChildren();
  refreshQueue();
}

// Re-read the first page; merge it with what is shown (new rows on top).
async function refreshQueue() {
  if (!session.token) return;
  if (q.busy) { // one at a time; one more after it
    q.again = true;
    return;
  }
  const gen = q.gen;
  q.busy = true;
  q.again = false;
  clearTimeout(q.timer);
  let page;
  try {
    page = await api(path(null));
  } catch (err) {
    q.busy = false;
    if (sessionLost(err)) return;
    if (gen !== q.gen || q.again) {
      refreshQueue();
      return;
    }
    setText($('queue-error'), err instanceof ApiError ? err.describe() : String(err));
    status('Not updated');
    schedulePoll();
    return;
  }
  q.busy = false;
  if (gen !== q.gen || q.again) { // filters changed, or an event came, meanwhile
    refreshQueue();
    return;
  }
  setText($('queue-error'), '');
  const known = new Set(q.items.map((i) => i.id));
  const fresh = page.incidents || [];
  const freshIds = new Set(fresh.map((i) => i.id));
  const added = q.loaded ? fresh.filter((i) => !known.has(i.id)).length : 0;
  if (q.pagedBeyondFirst) {
    q.items = fresh.concat(q.items.filter((i) => !freshIds.has(i.id)));
  } else {
    q.items = fresh;
    q.cursor = page.next_cursor || null;
  }
  const firstLoad = !q.loaded;
  q.loaded = true;
  render(firstLoad ? new Set() : new Set(fresh.filter((i) => !known.has(i.id)).map((i) => i.id)));
  const now = fmtTime.format(new Date());
  status(added > 0 ? `${added} new · updated ${now}` : `Updated ${now}`);
  schedulePoll();
}

async function more() {
  if (!q.cursor || !session.token) return;
  const gen = q.gen;
  const button = $('queue-more');
  button.disabled = true;
  try {
    const page = await api(path(q.cursor));
    if (gen !== q.gen) return;
    const known = new Set(q.items.map((i) => i.id));
    q.items = q.items.concat((page.incidents || []).filter((i) => !known.has(i.id)));
    q.cursor = page.next_cursor || null;
    q.pagedBeyondFirst = true;
    render(new Set());
  } catch (err) {
    if (!sessionLost(err)) setText($('queue-error'), err.describe());
  } finally {
    button.disabled = false;
  }
}

// "in 5 h" / "3 h ago", from now.
export function relative(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  if (Number.isNaN(ms)) return '';
  return ms >= 0 ? `in ${duration(ms / 1000)}` : `${duration(-ms / 1000)} ago`;
}

// The queue's deadline cell: the next phase due, or overdue.
function deadlineText(d) {
  if (!d) return h('span', { class: 'muted' }, '—');
  if (!d.next_phase || !d.due_at) return h('span', { class: 'muted' }, 'nothing due');
  return h('span', { class: d.overdue ? 'deadline overdue' : 'deadline due' },
    h('strong', {}, d.overdue ? 'Overdue' : 'Due'), ` ${human(d.next_phase)} `,
    when(d.due_at), h('span', { class: 'small' }, ` (${relative(d.due_at)})`));
}

const rowKeys = new WeakMap(); // row -> the JSON it was drawn from

function row(it) {
  const org = it.organization || {};
  const b = it.bulletin;
  const c = (label, ...content) => h('td', { 'data-label': label }, ...content);
  return h('tr', { 'data-id': it.id, class: it.deadline && it.deadline.overdue ? 'is-overdue' : null },
    c('Received', when(it.created_at)),
    h('td', { class: 'title', 'data-label': 'Title' },
      h('a', { href: `#/incident/${encodeURIComponent(it.id)}` }, it.title)),
    c('Organization', org.name || '—'),
    c('Sector', human(it.sector)),
    c('Severity', badge('sev', it.severity)),
    c('TLP', badge('tlp', it.tlp)),
    c('Phase', human(it.phase)),
    c('Deadline', deadlineText(it.deadline)),
    c('Status', human(it.status)),
    c('Bulletin', b ? [badge('review', b.status), h('span', { class: 'muted small' }, ` v${b.version}`)]
      : h('span', { class: 'muted' }, 'not yet')),
    h('td', { class: 'num', 'data-label': 'Reports' }, String(it.report_count ?? '')));
}

// Update the rows in place, so a focused link keeps its focus across refreshes.
function render(freshIds) {
  const tbody = $('queue-rows');
  const existing = new Map([...tbody.children].map((tr) => [tr.dataset.id, tr]));
  let next = tbody.firstElementChild;
  for (const it of q.items) {
    const key = JSON.stringify(it);
    let r = existing.get(it.id);
    existing.delete(it.id);
    if (r && rowKeys.get(r) !== key) {
      const focused = r.contains(document.activeElement);
      const replacement = row(it);
      r.replaceWith(replacement);
      if (next === r) next = replacement;
      r = replacement;
      if (focused) r.querySelector('a').focus();
    } else if (!r) {
      r = row(it);
      if (freshIds.has(it.id)) r.classList.add('fresh');
    }
    rowKeys.set(r, key);
    if (r === next) next = next.nextElementSibling;
    else tbody.insertBefore(r, next);
  }
  for (const r of existing.values()) r.remove();
  show($('queue-empty'), q.items.length === 0);
  show($('queue-table'), q.items.length > 0);
  show($('queue-more'), Boolean(q.cursor));
}

export function initQueue() {
  const form = $('filters');
  for (const name of ['sector', 'severity', 'status', 'review', 'phase']) {
    form.elements[name].append(...options(VOCAB[name]));
  }
  let debounce = null;
  const apply = () => {
    clearTimeout(debounce);
    let changed = false;
    for (const k of FILTERS) {
      const v = form.elements[k].value.trim();
      if (q.filters[k] !== v) {
        q.filters[k] = v;
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
  $('queue-more').addEventListener('click', more);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && visible()) refreshQueue();
  });

  // live: a report or a bulletin change refreshes the visible queue, once per burst
  onAudit((entry) => {
    if (entry && !/^(report|bulletin)\./.test(entry.action || '')) return;
    if (!visible()) return; // showQueue() reads it afresh anyway
    clearTimeout(q.debounce);
    q.debounce = setTimeout(refreshQueue, DEBOUNCE_MS);
  });
  onStreamState(() => {
    if (!visible()) return;
    if (q.status) status(q.status);
    if (stream.state === 'live') clearTimeout(q.timer);
    else if (!q.timer && !q.busy) schedulePoll();
  });
}
