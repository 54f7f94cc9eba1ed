// core.js — what every page of the dashboard shares: the session, the API
// client, DOM and date helpers, the vocabularies.
//
// Every text from the server goes into the page through textContent or
// attributes (h() below), never as HTML: report text is attacker-controlled.

export const TOKEN_KEY = 'isacd.coordinator.token';
export const PAGE = 50;

export const VOCAB = {
  sector: ['information_communication', 'finance', 'aviation', 'airports', 'railways',
    'electric_power', 'gas', 'government', 'medical', 'water', 'logistics', 'chemicals',
    'credit_cards', 'petroleum', 'ports'],
  severity: ['low', 'medium', 'high', 'critical'],
  status: ['open', 'closed'],
  review: ['pending_review', 'published', 'rejected', 'withheld', 'none'],
  phase: ['early_warning', 'notification', 'final'],
  region: ['hokkaido', 'tohoku', 'kanto', 'chubu', 'kinki', 'chugoku', 'shikoku', 'kyushu_okinawa'],
  kind: ['operator', 'subscriber', 'coordinator'],
  tlp: ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT'],
  incident_type: ['ransomware', 'malware', 'phishing', 'ddos', 'unauthorized_access', 'data_breach',
    'supply_chain', 'insider_threat', 'vulnerability_exploitation', 'defacement', 'service_outage', 'other'],
};

export const $ = (id) => document.getElementById(id);

// The session: the token lives here and in sessionStorage, never in a URL.
export const session = { token: null };

// Set by app.js: what to do when the API refuses the token mid-session.
export const hooks = { signOut: () => {} };

// ---- DOM -------------------------------------------------------------------

function build(el, props, children) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// h('a', {href: '#'}, 'text', child…): an element; null/false children are skipped.
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

export const human = (v) => (v === null || v === undefined || v === '' ? '—' : String(v).replace(/_/g, ' '));

export function show(el, on) {
  el.hidden = !on;
}

export function setText(el, text) {
  el.textContent = text || '';
  show(el, Boolean(text));
}

export function dl(pairs) {
  return h('dl', { class: 'pairs' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function badge(kind, value) {
  const v = value === null || value === undefined ? 'none' : String(value);
  const cls = `badge ${kind}-${v.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('span', { class: cls }, kind === 'tlp' ? `TLP:${v}` : human(v));
}

// <select> options from a vocabulary, with a first "any" choice when given.
export function options(values, any) {
  return [any !== undefined ? h('option', { value: '' }, any) : null,
    ...values.map((v) => h('option', { value: v }, human(v)))];
}

// A table with a header row. A head is a string, or ['text', 'num'] for a
// right-aligned number column; cells carry data-label (cell() below) so narrow
// screens can show each one's label.
export function table(cls, caption, heads, rows, attrs = {}) {
  return h('table', { class: cls, ...attrs },
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', {}, h('tr', {}, heads.map((t) => (Array.isArray(t)
      ? h('th', { scope: 'col', class: t[1] }, t[0]) : h('th', { scope: 'col' }, t))))),
    h('tbody', {}, rows));
}

export function cell(label, ...content) {
  return h('td', { 'data-label': label }, ...content);
}

export function numCell(label, n) {
  return h('td', { 'data-label': label, class: 'num' }, n === null || n === undefined ? '—' : String(n));
}

// ---- dates -----------------------------------------------------------------

function utcText(date) {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

const fmtDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fmtDateTimeSec = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
export const fmtTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const fmtDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

// A <time>: the viewer's local time, the UTC value on hover.
export function when(iso, precise = false) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, iso);
  return h('time', { datetime: iso, title: utcText(d) },
    (precise ? fmtDateTimeSec : fmtDateTime).format(d));
}

// A calendar day given as YYYY-MM-DD (a UTC Monday in the statistics).
export function day(ymd) {
  const d = new Date(`${ymd}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return ymd;
  return fmtDate.format(d);
}

// 90061 -> "1 d 1 h"; a duration for people.
export function duration(sec) {
  if (sec === null || sec === undefined || Number.isNaN(Number(sec))) return '—';
  let n = Math.round(Math.abs(Number(sec)));
  const parts = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]]) {
    if (n >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(n / size)} ${unit}`);
      n %= size;
    }
    if (parts.length === 2) break;
  }
  return (sec < 0 ? '−' : '') + parts.join(' ');
}

// "24h", "3d", "90m", "45s" or plain seconds -> seconds, or null.
export function parseDuration(text) {
  const m = /^\s*(\d{1,9})\s*([smhd]?)\s*$/i.exec(text || '');
  if (!m) return null;
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2].toLowerCase()];
  return Number(m[1]) * mult;
}

// Seconds -> an exact "Nd" (a week or more), "Nh", "Nm" or "Ns": 86400 -> "24h", 2592000 -> "30d".
export function shortDuration(sec) {
  if (sec % 86400 === 0 && sec >= 7 * 86400) return `${sec / 86400}d`;
  for (const [unit, size] of [['h', 3600], ['m', 60]]) {
    if (sec % size === 0) return `${sec / size}${unit}`;
  }
  return `${sec}s`;
}

// ---- the API ---------------------------------------------------------------

export class ApiError extends Error {
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

export function authHeaders(token = session.token) {
  return { Authorization: `Bearer ${token}` };
}

export async function api(path, { method = 'GET', body, token = session.token } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders(token) };
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

// A query string from an object, skipping empty values.
export function query(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) p.set(k, String(v));
  const q = p.toString();
  return q ? `?${q}` : '';
}

// Any call in a session that finds the token refused ends the session.
export function sessionLost(err) {
  if (err instanceof ApiError && err.status === 401 && session.token) {
    hooks.signOut('Your token was refused (unknown or revoked); sign in again.');
    return true;
  }
  return false;
}

// Show an API error in el (unless the session ended because of it).
function fail(el, err) {
  if (sessionLost(err)) return;
  setText(el, err instanceof ApiError ? err.describe() : String(err));
}

// Run an action from a button: disabled while it runs, errors into errEl.
// Returns the result, or undefined after an error.
export async function act(button, errEl, run) {
  if (button) button.disabled = true;
  setText(errEl, '');
  try {
    return await run();
  } catch (err) {
    fail(errEl, err);
    return undefined;
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

// A disclosure: a button that opens a panel (a form) below it.
export function togglePanel(panel, button, focusEl, others = []) {
  for (const [p, b] of others) closePanel(p, b, false);
  const open = panel.hidden;
  panel.hidden = !open;
  button.setAttribute('aria-expanded', String(open));
  if (open && focusEl) focusEl.focus();
}

export function closePanel(panel, button, refocus = true) {
  panel.hidden = true;
  button.setAttribute('aria-expanded', 'false');
  if (refocus) button.focus();
}

// A labelled control: <label for=id>text</label> + control.
export function field(text, control) {
  return [h('label', { for: control.id }, text), control];
}

// A group of checkboxes in a <fieldset>; returns [fieldset, () => checked values].
export function checkboxes(idPrefix, legend, values, checked = []) {
  const boxes = values.map((v) => h('input', { type: 'checkbox', id: `${idPrefix}-${v.replace(/[^a-z0-9]+/gi, '-')}`,
    value: v, checked: checked.includes(v) }));
  const fs = h('fieldset', { class: 'checks-group' }, h('legend', {}, legend),
    boxes.map((b) => h('label', { class: 'check', for: b.id }, b, ' ', human(b.value))));
  return [fs, () => boxes.filter((b) => b.checked).map((b) => b.value)];
}

// Lines of a textarea -> trimmed non-empty strings.
export const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

// A one-time secret (a new token): shown once, selectable, never stored.
export function secretBox(label, secret, note) {
  const id = `secret-${Math.random().toString(36).slice(2)}`;
  const input = h('input', { id, class: 'secret', readonly: true, value: secret, spellcheck: 'false' });
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'secret-box', role: 'status' },
    h('label', { for: id }, label), input,
    h('p', { class: 'muted small' }, note || 'Copy it now: it is shown this once and stored only as its hash.'));
}
