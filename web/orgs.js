// orgs.js — organizations: the list (kind filter, name search, create), the
// reporting regimes (editable), and one organization: an operator's keys
// (add, rotate, revoke), anonymization profile and regime; a subscriber's
// clearance, sectors and subscriptions; tokens of coordinators and subscribers.

import {
  $, PAGE, VOCAB, act, api, badge, cell, checkboxes, closePanel, dl, duration, field, h,
  human, lines, numCell, options, parseDuration, query, secretBox, setText, shortDuration, table,
  togglePanel, when,
} from './core.js';

const KEY_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const REGIME_RE = /^[a-z0-9_-]{1,32}$/;

const list = { kind: '', q: '', items: [], cursor: null, gen: 0, built: false };
const one = { id: null, org: null, sub: null, regimes: null, gen: 0, notes: {}, secret: null };

export function resetOrgs() {
  list.gen++;
  list.items = [];
  list.built = false;
  one.gen++;
  one.id = null;
  one.org = null;
  one.sub = null;
  one.secret = null;
  $('orgs-body').replaceChildren();
  $('org-body').replaceChildren();
}

// Leaving an organization's page: a token shown there is gone for good, even
// from the hidden page a "back" would show again before it reloads.
export function leaveOrg() {
  one.secret = null;
  for (const box of $('org-body').querySelectorAll('.secret-box')) box.remove();
}

// ---- the list ----------------------------------------------------------------

function buildList() {
  const kind = h('select', { id: 'orgs-kind', name: 'kind' }, options(VOCAB.kind, 'any'));
  const q = h('input', { id: 'orgs-q', name: 'q', type: 'search', maxlength: 200, placeholder: 'part of the name' });
  kind.value = list.kind;
  q.value = list.q;
  let debounce = null;
  const apply = () => {
    clearTimeout(debounce);
    if (list.kind === kind.value && list.q === q.value.trim()) return;
    list.kind = kind.value;
    list.q = q.value.trim();
    loadList(false);
  };
  kind.addEventListener('change', apply);
  q.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(apply, 300);
  });

  $('orgs-body').replaceChildren(
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the organizations',
      onsubmit: (e) => { e.preventDefault(); apply(); } },
    h('label', { for: 'orgs-kind' }, 'Kind ', kind),
    h('label', { for: 'orgs-q', class: 'grow' }, 'Name contains ', q)),
    h('div', { id: 'orgs-list' }, h('p', { class: 'muted' }, 'Loading…')),
    h('p', { class: 'more' }, h('button', { type: 'button', id: 'orgs-more', hidden: true, onclick: () => loadList(true) }, 'More')),
    createSection(),
    h('section', { class: 'compare-section', 'aria-labelledby': 'regimes-h' },
      h('h2', { id: 'regimes-h', tabindex: -1 }, 'Reporting regimes'),
      h('p', { class: 'muted small' }, 'Deadlines per phase, counted from detection. Durations: 45s, 90m, 24h, 30d.'),
      h('p', { id: 'regimes-note', class: 'note', role: 'status' }),
      h('p', { id: 'regimes-error', class: 'error', role: 'alert', hidden: true }),
      h('div', { id: 'regimes-list' }, h('p', { class: 'muted' }, 'Loading…')),
      regimeForm()));
  list.built = true;
}

export function showOrgs() {
  if (!list.built) buildList();
  loadList(false);
  loadRegimes();
}

function orgRow(o) {
  return h('tr', { 'data-id': o.id },
    h('td', { class: 'title', 'data-label': 'Name' }, h('a', { href: `#/orgs/${encodeURIComponent(o.id)}` }, o.name)),
    cell('Kind', human(o.kind)),
    cell('Sector', human(o.sector)),
    cell('Region', human(o.region)),
    numCell('Keys', o.active_keys),
    numCell('Tokens', o.active_tokens),
    cell('Created', when(o.created_at)));
}

async function loadList(more) {
  const gen = ++list.gen;
  const page = await act($('orgs-more'), $('orgs-error'), () =>
    api(`/v1/coord/orgs${query({ kind: list.kind, q: list.q, limit: PAGE, cursor: more ? list.cursor : '' })}`));
  if (!page && gen === list.gen) $('orgs-list').replaceChildren();
  if (!page || gen !== list.gen) return;
  list.items = (more ? list.items : []).concat(page.orgs || []);
  list.cursor = page.next_cursor || null;
  $('orgs-list').replaceChildren(list.items.length
    ? table('queue', 'Organizations by name',
      ['Name', 'Kind', 'Sector', 'Region', ['Keys', 'num'], ['Tokens', 'num'], 'Created'],
      list.items.map(orgRow), { id: 'orgs-table' })
    : h('p', { class: 'muted' }, 'No organizations match.'));
  $('orgs-more').hidden = !list.cursor;
}

function createSection() {
  const kind = h('select', { id: 'new-kind', required: true }, options(VOCAB.kind));
  const name = h('input', { id: 'new-name', maxlength: 200, required: true, autocomplete: 'off' });
  const sector = h('select', { id: 'new-sector' }, options(VOCAB.sector, '—'));
  const region = h('select', { id: 'new-region' }, options(VOCAB.region, '—'));
  const note = h('div', { id: 'new-note', role: 'status' });
  const err = h('p', { id: 'new-error', class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create organization');
  const form = h('form', { id: 'new-org', class: 'grid-form' },
    h('div', {}, field('Kind', kind)), h('div', {}, field('Name', name)),
    h('div', {}, field('Sector (operators)', sector)), h('div', {}, field('Region (operators)', region)),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    note.replaceChildren();
    if (!name.value.trim()) {
      setText(err, 'Give the organization a name.');
      name.focus();
      return;
    }
    if (kind.value === 'operator' && (!sector.value || !region.value)) {
      setText(err, 'An operator needs a sector and a region.');
      (sector.value ? region : sector).focus();
      return;
    }
    const body = { kind: kind.value, name: name.value.trim() };
    if (sector.value) body.sector = sector.value;
    if (region.value) body.region = region.value;
    const org = await act(submit, err, () => api('/v1/coord/orgs', { method: 'POST', body }));
    if (!org) return;
    name.value = '';
    note.replaceChildren(h('p', { class: 'note' }, 'Created ',
      h('a', { href: `#/orgs/${encodeURIComponent(org.id)}` }, org.name), '.'));
    loadList(false);
  });
  return h('section', { class: 'compare-section', 'aria-labelledby': 'new-org-h' },
    h('h2', { id: 'new-org-h' }, 'New organization'), form, err, note);
}

// ---- regimes ---------------------------------------------------------------

const PHASES = [['early_warning_s', 'Early warning'], ['notification_s', 'Notification'], ['final_s', 'Final']];

// The three durations of a regime form, checked: an object, or null after telling why.
function regimeBody(inputs, err) {
  const body = {};
  for (const [k, label] of PHASES) {
    const v = parseDuration(inputs[k].value);
    if (!v || v > 31_536_000) {
      setText(err, `${label}: a duration like 24h, 3d or 90m, at most 365d.`);
      inputs[k].focus();
      return null;
    }
    body[k] = v;
  }
  if (!(body.early_warning_s <= body.notification_s && body.notification_s <= body.final_s)) {
    setText(err, 'The early warning is due first, then the notification, then the final report.');
    inputs.early_warning_s.focus();
    return null;
  }
  return body;
}

function regimeRow(r) {
  const inputs = {};
  for (const [k, label] of PHASES) {
    inputs[k] = h('input', { id: `regime-${r.name}-${k}`, class: 'dur', value: shortDuration(r[k]), size: 6,
      'aria-label': `${label} for ${r.name}`, title: duration(r[k]) });
  }
  const save = h('button', { type: 'button' }, `Save ${r.name}`);
  save.addEventListener('click', async () => {
    $('regimes-note').textContent = '';
    setText($('regimes-error'), '');
    const body = regimeBody(inputs, $('regimes-error'));
    if (!body) return;
    const res = await act(save, $('regimes-error'), () =>
      api(`/v1/coord/regimes/${encodeURIComponent(r.name)}`, { method: 'PUT', body }));
    if (res === undefined) return;
    $('regimes-note').textContent = `Regime “${r.name}” saved.`;
    loadRegimes();
  });
  return h('tr', { 'data-name': r.name },
    h('th', { scope: 'row', 'data-label': 'Regime' }, r.name),
    ...PHASES.map(([k, label]) => cell(label, inputs[k])),
    numCell('Organizations', r.organizations),
    cell('Action', save));
}

async function fetchRegimes(errEl) {
  const res = await act(null, errEl, () => api('/v1/coord/regimes'));
  one.regimes = res ? res.regimes || [] : null;
  return one.regimes;
}

async function loadRegimes() {
  const regimes = await fetchRegimes($('regimes-error'));
  if (!regimes) {
    $('regimes-list').replaceChildren();
    return;
  }
  $('regimes-list').replaceChildren(table('list', 'Reporting regimes',
    ['Regime', 'Early warning', 'Notification', 'Final', ['Organizations', 'num'], 'Action'],
    regimes.map(regimeRow), { id: 'regimes-table' }));
}

function regimeForm() {
  const name = h('input', { id: 'regime-new-name', maxlength: 32, autocomplete: 'off', spellcheck: 'false' });
  const inputs = {};
  const defaults = { early_warning_s: '24h', notification_s: '72h', final_s: '30d' };
  for (const [k] of PHASES) inputs[k] = h('input', { id: `regime-new-${k}`, class: 'dur', size: 6, value: defaults[k] });
  const submit = h('button', { type: 'submit' }, 'Add regime');
  const form = h('form', { id: 'regime-new', class: 'grid-form' },
    h('div', {}, field('New regime name', name)),
    ...PHASES.map(([k, label]) => h('div', {}, field(label, inputs[k]))),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = $('regimes-error');
    $('regimes-note').textContent = '';
    setText(err, '');
    if (!REGIME_RE.test(name.value)) {
      setText(err, 'A regime name is 1–32 of a–z, 0–9, _ and -.');
      name.focus();
      return;
    }
    const body = regimeBody(inputs, err);
    if (!body) return;
    const res = await act(submit, err, () =>
      api(`/v1/coord/regimes/${encodeURIComponent(name.value)}`, { method: 'PUT', body }));
    if (res === undefined) return;
    $('regimes-note').textContent = `Regime “${name.value}” saved.`;
    name.value = '';
    loadRegimes();
  });
  return form;
}

// ---- one organization ------------------------------------------------------------

export async function showOrg(id) {
  const again = one.id === id;
  one.id = id;
  if (!again) {
    one.org = null;
    one.sub = null;
    one.notes = {};
    one.secret = null;
    $('org-h').textContent = 'Organization';
    $('org-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  }
  await loadOrg();
  if (!again) $('org-h').focus();
}

async function loadOrg() {
  const id = one.id;
  const gen = ++one.gen;
  const err = $('org-error');
  const org = await act(null, err, () => api(`/v1/coord/orgs/${encodeURIComponent(id)}`));
  if (gen !== one.gen) return;
  if (!org) {
    $('org-body').replaceChildren();
    return;
  }
  let sub = null;
  if (org.kind === 'subscriber') {
    sub = await act(null, err, () => api(`/v1/coord/subscribers/${encodeURIComponent(id)}`));
    if (gen !== one.gen) return;
  }
  if (org.kind === 'operator' && !one.regimes) {
    await fetchRegimes(null).catch(() => null);
    if (gen !== one.gen) return;
  }
  one.org = org;
  one.sub = sub;
  renderOrg();
}

// After an action: read again, say what happened, put the focus on the section's heading.
async function done(section, text) {
  one.notes = { [section]: text };
  await loadOrg();
  const head = $(`${section}-h`);
  if (head) head.focus();
}

function note(section) {
  return h('p', { id: `${section}-note`, class: 'note', role: 'status' }, one.notes[section] || '');
}

function errorLine(section) {
  return h('p', { id: `${section}-error`, class: 'error', role: 'alert', hidden: true });
}

function renderOrg() {
  const o = one.org;
  const focused = $('org-body').contains(document.activeElement) ? document.activeElement.id : '';
  $('org-h').textContent = o.name;
  document.title = `${o.name} · isacd`;
  setText($('org-error'), '');
  const chips = h('p', { class: 'chips' }, badge('kind', o.kind), o.sector ? h('span', { class: 'chip' }, human(o.sector)) : null,
    o.region ? h('span', { class: 'chip' }, human(o.region)) : null);
  const parts = [
    h('section', { class: 'card', 'aria-labelledby': 'about-h' }, h('h2', { id: 'about-h' }, 'About'),
      dl([['Kind', human(o.kind)], ['Sector', human(o.sector)], ['Region', human(o.region)],
        ['Created', when(o.created_at)], ['Id', h('code', {}, o.id)]])),
  ];
  if (o.kind === 'operator') parts.push(regimeSection(o), keysSection(o), profileSection(o));
  if (o.kind === 'subscriber' && one.sub) parts.push(clearanceSection(one.sub), subscriptionsSection(one.sub));
  if (o.kind !== 'operator') parts.push(tokensSection(o));
  $('org-body').replaceChildren(chips, h('div', { class: 'org-grid' }, parts));
  if (focused && $(focused)) $(focused).focus();
}

// A confirmation step inside a section: message, a danger button, Cancel.
function confirmStep(slot, opener, message, label, run) {
  const text = h('p', { tabindex: -1 }, message);
  const yes = h('button', { type: 'button', class: 'danger' }, label);
  const no = h('button', { type: 'button' }, 'Cancel');
  const panel = h('div', { class: 'panel confirm', role: 'group', 'aria-label': 'Confirm' }, text,
    h('div', { class: 'actions' }, yes, no));
  for (const b of slot.closest('section').querySelectorAll('[aria-expanded="true"]')) b.setAttribute('aria-expanded', 'false');
  opener.setAttribute('aria-expanded', 'true');
  no.addEventListener('click', () => {
    slot.replaceChildren();
    opener.setAttribute('aria-expanded', 'false');
    opener.focus();
  });
  yes.addEventListener('click', () => run(yes));
  slot.replaceChildren(panel);
  text.focus();
}

// ---- operator: regime, keys, profile -------------------------------------------

function regimeSection(o) {
  const regimes = one.regimes;
  const section = h('section', { class: 'card', 'aria-labelledby': 'regime-h' },
    h('h2', { id: 'regime-h', tabindex: -1 }, 'Reporting regime'), note('regime'), errorLine('regime'));
  if (!regimes) {
    section.append(h('p', { class: 'muted' }, 'This server has no reporting regimes.'));
    return section;
  }
  // the organization view may not say which regime it has: then nothing is preselected
  const select = h('select', { id: 'org-regime', required: true },
    o.regime ? null : h('option', { value: '' }, 'choose a regime'),
    regimes.map((r) => h('option', { value: r.name },
      `${r.name} (${shortDuration(r.early_warning_s)} / ${shortDuration(r.notification_s)} / ${shortDuration(r.final_s)})`)));
  select.value = o.regime || '';
  const save = h('button', { type: 'submit' }, 'Assign regime');
  const form = h('form', { class: 'inline-form' }, h('label', { for: 'org-regime' }, 'Regime'), select, save);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!select.value) {
      setText($('regime-error'), 'Choose a regime.');
      select.focus();
      return;
    }
    const res = await act(save, $('regime-error'), () =>
      api(`/v1/coord/orgs/${encodeURIComponent(o.id)}/regime`, { method: 'PUT', body: { regime: select.value } }));
    if (res) done('regime', `Regime “${res.regime}” assigned.`);
  });
  section.append(
    h('p', { class: 'muted small' }, o.regime ? `Currently “${o.regime}”. ` : '', 'Early warning / notification / final, from detection. ',
      h('a', { href: '#/orgs' }, 'Edit the regimes'), '.'),
    form);
  return section;
}

function keysSection(o) {
  const keys = o.keys || [];
  const slot = h('div', { id: 'keys-confirm' });
  const pub = h('input', { id: 'key-public', maxlength: 64, spellcheck: 'false', autocomplete: 'off', class: 'wide' });
  const kid = h('input', { id: 'key-id', maxlength: 128, spellcheck: 'false', autocomplete: 'off', placeholder: 'generated when empty' });
  const legend = h('p', { class: 'muted small', id: 'key-form-what' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add key');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', { id: 'key-form', class: 'panel', hidden: true }, legend,
    field('Ed25519 public key (base64, 32 bytes)', pub), field('Key id (optional)', kid),
    h('div', { class: 'actions' }, submit, cancel));
  let replaces = null;
  let opener = null;
  const addBtn = h('button', { type: 'button', id: 'key-add-open', 'aria-expanded': 'false', 'aria-controls': 'key-form' }, 'Add a key…');
  const open = (btn, old) => {
    const again = !form.hidden && opener === btn;
    slot.replaceChildren();
    if (opener) opener.setAttribute('aria-expanded', 'false');
    if (again) {
      closePanel(form, btn);
      opener = null;
      return;
    }
    replaces = old;
    opener = btn;
    legend.textContent = old
      ? `Rotate “${old}”: the new key is added and “${old}” revoked in one step.`
      : 'A further key for this operator; the existing keys stay valid.';
    submit.textContent = old ? `Rotate ${old}` : 'Add key';
    form.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    pub.focus();
  };
  addBtn.addEventListener('click', () => open(addBtn, null));
  cancel.addEventListener('click', () => closePanel(form, opener || addBtn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = $('keys-error');
    const key = pub.value.trim();
    let raw = null;
    try {
      raw = atob(key);
    } catch {
      raw = null;
    }
    if (!raw || raw.length !== 32) {
      setText(err, 'The public key is the base64 of 32 bytes (isacd admin keygen prints it).');
      pub.focus();
      return;
    }
    if (kid.value && !KEY_ID_RE.test(kid.value)) {
      setText(err, 'A key id is 1–128 of A–Z, a–z, 0–9, ".", "_", ":" and "-".');
      kid.focus();
      return;
    }
    const body = { public_key: key };
    if (kid.value) body.key_id = kid.value;
    if (replaces) body.replaces = replaces;
    const res = await act(submit, err, () => api(`/v1/coord/orgs/${encodeURIComponent(o.id)}/keys`, { method: 'POST', body }));
    if (!res) return;
    const revoked = (res.revoked || []).length ? `; “${res.revoked.join('”, “')}” revoked` : '';
    done('keys', `Key “${res.key_id}” added${revoked}.`);
  });

  const rows = keys.map((k) => {
    const active = !k.revoked_at;
    const rotate = active ? h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'key-form' }, `Rotate ${k.key_id}…`) : null;
    const revoke = active ? h('button', { type: 'button', class: 'revoke', 'aria-expanded': 'false', 'aria-controls': 'keys-confirm' }, `Revoke ${k.key_id}…`) : null;
    if (rotate) rotate.addEventListener('click', () => open(rotate, k.key_id));
    if (revoke) {
      revoke.addEventListener('click', () => {
        closePanel(form, addBtn, false);
        confirmStep(slot, revoke,
          `Revoke key “${k.key_id}”? Requests signed with it are refused from now on; reports it signed stay verifiable.`,
          `Revoke key ${k.key_id}`, async (yes) => {
            const res = await act(yes, $('keys-error'), () => api(`/v1/coord/keys/${encodeURIComponent(k.key_id)}`, { method: 'DELETE' }));
            if (res) done('keys', `Key “${k.key_id}” revoked.`);
          });
      });
    }
    return h('tr', { 'data-key': k.key_id, class: active ? null : 'revoked' },
      cell('Key id', h('code', { class: 'wrap' }, k.key_id)),
      cell('Added', when(k.created_at)),
      cell('State', active ? h('span', { class: 'ok' }, 'active') : ['revoked ', when(k.revoked_at)]),
      cell('Actions', active ? h('span', { class: 'row-actions' }, rotate, revoke) : '—'));
  });
  return h('section', { class: 'card wide-card', 'aria-labelledby': 'keys-h' },
    h('h2', { id: 'keys-h', tabindex: -1 }, `Signing keys (${keys.filter((k) => !k.revoked_at).length} active)`),
    note('keys'), errorLine('keys'),
    keys.length ? table('list', 'Signing keys', ['Key id', 'Added', 'State', 'Actions'], rows, { id: 'keys-table' })
      : h('p', { class: 'muted' }, 'No keys: this operator cannot report.'),
    slot,
    h('div', { class: 'actions' }, addBtn), form);
}

function profileSection(o) {
  const p = o.profile || {};
  const areas = {};
  const hints = { domains: 'Domains (one per line; subdomains too)', ranges: 'Address ranges (CIDR or an address, one per line)',
    terms: 'Redaction terms (one per line)' };
  for (const k of ['domains', 'ranges', 'terms']) {
    areas[k] = h('textarea', { id: `profile-${k}`, rows: 4, spellcheck: 'false' });
    areas[k].value = (p[k] || []).join('\n');
  }
  const submit = h('button', { type: 'submit' }, 'Save profile');
  const form = h('form', { id: 'profile-form' },
    ...['domains', 'ranges', 'terms'].map((k) => field(hints[k], areas[k])),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { domains: lines(areas.domains.value), ranges: lines(areas.ranges.value), terms: lines(areas.terms.value) };
    const res = await act(submit, $('profile-error'), () =>
      api(`/v1/coord/orgs/${encodeURIComponent(o.id)}/profile`, { method: 'PUT', body }));
    if (res) done('profile', 'Profile saved: it applies to bulletins made from now on.');
  });
  return h('section', { class: 'card wide-card', 'aria-labelledby': 'profile-h' },
    h('h2', { id: 'profile-h', tabindex: -1 }, 'Anonymization profile'),
    h('p', { class: 'muted small' }, 'Removed from every bulletin made from this operator\'s reports, besides its name, ids, contacts and private addresses.'),
    note('profile'), errorLine('profile'), form);
}

// ---- subscriber: clearance, sectors, subscriptions ---------------------------------

function clearanceSection(sub) {
  const [clearance, getClearance] = checkboxes('clear', 'TLP clearance', VOCAB.tlp, sub.clearance || []);
  const [sectors, getSectors] = checkboxes('sect', 'Sectors (TLP:AMBER of these sectors)', VOCAB.sector, sub.sectors || []);
  const submit = h('button', { type: 'submit' }, 'Save clearance and sectors');
  const form = h('form', { id: 'clearance-form' }, clearance, sectors, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { clearance: getClearance(), sectors: getSectors() };
    const res = await act(submit, $('clearance-error'), () =>
      api(`/v1/coord/subscribers/${encodeURIComponent(sub.org_id)}`, { method: 'PUT', body }));
    if (res) done('clearance', 'Clearance and sectors saved.');
  });
  return h('section', { class: 'card wide-card', 'aria-labelledby': 'clearance-h' },
    h('h2', { id: 'clearance-h', tabindex: -1 }, 'Clearance and sectors'),
    note('clearance'), errorLine('clearance'), form);
}

function subscriptionsSection(sub) {
  const subs = sub.subscriptions || [];
  const slot = h('div', { id: 'subs-confirm' });
  const rows = subs.map((x) => {
    const remove = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'subs-confirm' }, 'Remove…');
    remove.addEventListener('click', () => confirmStep(slot, remove,
      'Remove this subscription? Its pending webhook deliveries die unsent.', 'Remove subscription', async (yes) => {
        const res = await act(yes, $('subs-error'), () =>
          api(`/v1/coord/subscriptions/${encodeURIComponent(x.id)}`, { method: 'DELETE' }));
        if (res !== undefined) done('subs', 'Subscription removed.');
      }));
    return h('tr', { 'data-id': x.id },
      cell('Minimum severity', human(x.min_severity)),
      cell('Types', (x.incident_types || []).map(human).join(', ') || 'any'),
      cell('Sectors', (x.sectors || []).map(human).join(', ') || 'any'),
      cell('Webhook', x.webhook_url ? h('code', { class: 'wrap' }, x.webhook_url) : h('span', { class: 'muted' }, 'none (feed only)')),
      cell('Created', when(x.created_at)),
      cell('Action', remove));
  });

  const minSev = h('select', { id: 'subs-min' }, options(VOCAB.severity, 'any'));
  const [types, getTypes] = checkboxes('subs-type', 'Incident types (none: any)', VOCAB.incident_type);
  const [sectors, getSectors] = checkboxes('subs-sector', 'Sectors (none: any)', VOCAB.sector);
  const hook = h('input', { id: 'subs-hook', type: 'url', maxlength: 2048, placeholder: 'https://…', class: 'wide' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add subscription');
  const addBtn = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'subs-form' }, 'Add a subscription…');
  const form = h('form', { id: 'subs-form', class: 'panel', hidden: true },
    field('Minimum severity', minSev), types, sectors, field('Webhook URL (optional)', hook),
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: () => closePanel(form, addBtn) }, 'Cancel')));
  addBtn.addEventListener('click', () => togglePanel(form, addBtn, minSev));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    if (minSev.value) body.min_severity = minSev.value;
    const t = getTypes();
    const sct = getSectors();
    if (t.length) body.incident_types = t;
    if (sct.length) body.sectors = sct;
    if (hook.value.trim()) body.webhook_url = hook.value.trim();
    const res = await act(submit, $('subs-error'), () =>
      api(`/v1/coord/subscribers/${encodeURIComponent(sub.org_id)}/subscriptions`, { method: 'POST', body }));
    if (res) done('subs', 'Subscription added.');
  });
  return h('section', { class: 'card wide-card', 'aria-labelledby': 'subs-h' },
    h('h2', { id: 'subs-h', tabindex: -1 }, `Subscriptions (${subs.length})`),
    note('subs'), errorLine('subs'),
    subs.length ? table('list', 'Subscriptions', ['Minimum severity', 'Types', 'Sectors', 'Webhook', 'Created', 'Action'], rows, { id: 'subs-table' })
      : h('p', { class: 'muted' }, 'No subscriptions: it reads the feed with everything its clearance allows.'),
    slot, h('div', { class: 'actions' }, addBtn), form);
}

// ---- tokens ------------------------------------------------------------------

function tokensSection(o) {
  const tokens = Array.isArray(o.tokens) ? o.tokens : null;
  const slot = h('div', { id: 'tokens-confirm' });
  const label = h('input', { id: 'token-label', maxlength: 200, autocomplete: 'off' });
  const issue = h('button', { type: 'submit' }, 'Issue a token');
  const form = h('form', { id: 'token-form', class: 'inline-form' }, h('label', { for: 'token-label' }, 'Label (optional)'), label, issue);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = label.value.trim() ? { label: label.value.trim() } : undefined;
    const res = await act(issue, $('tokens-error'), () =>
      api(`/v1/coord/orgs/${encodeURIComponent(o.id)}/tokens`, { method: 'POST', body }));
    if (!res) return;
    one.secret = res.token;
    done('tokens', 'Token issued.');
  });
  const rows = (tokens || []).map((t) => {
    const active = !t.revoked_at;
    let actions = '—';
    if (active) {
      const rotate = h('button', { type: 'button' }, 'Rotate');
      rotate.addEventListener('click', async () => {
        const res = await act(rotate, $('tokens-error'), () =>
          api(`/v1/coord/tokens/${encodeURIComponent(t.id)}/rotate`, { method: 'POST', body: t.label ? { label: t.label } : undefined }));
        if (!res) return;
        one.secret = res.token;
        done('tokens', 'Token rotated: the old one is revoked.');
      });
      const revoke = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'tokens-confirm' }, 'Revoke…');
      revoke.addEventListener('click', () => confirmStep(slot, revoke,
        `Revoke the token “${t.label || t.id}”? Whoever uses it is refused from now on.`, 'Revoke token', async (yes) => {
          const res = await act(yes, $('tokens-error'), () => api(`/v1/coord/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' }));
          if (res !== undefined) done('tokens', 'Token revoked.');
        }));
      actions = h('span', { class: 'row-actions' }, rotate, revoke);
    }
    return h('tr', { 'data-id': t.id, class: active ? null : 'revoked' },
      cell('Label', t.label || h('span', { class: 'muted' }, '(none)')),
      cell('Issued', when(t.created_at)),
      cell('State', active ? h('span', { class: 'ok' }, 'active') : ['revoked ', when(t.revoked_at)]),
      cell('Actions', actions));
  });
  const secret = one.secret;
  one.secret = null; // shown this once
  return h('section', { class: 'card wide-card', 'aria-labelledby': 'tokens-h' },
    h('h2', { id: 'tokens-h', tabindex: -1 }, 'Bearer tokens'),
    note('tokens'), errorLine('tokens'),
    secret ? secretBox('The new token', secret) : null,
    tokens === null ? h('p', { class: 'muted' }, 'This server does not list tokens.')
      : tokens.length ? table('list', 'Tokens, newest first', ['Label', 'Issued', 'State', 'Actions'], rows, { id: 'tokens-table' })
        : h('p', { class: 'muted' }, 'No tokens.'),
    slot, form);
}
