// stats.js — statistics: incidents per sector per week (stacked bars), the
// severity mix, time from report to publication. Charts are inline SVG built
// with DOM calls (colours from style.css classes: the CSP allows no inline
// style), and each chart's numbers are in a table beside it.

import { $, act, api, cell, day, duration, h, human, numCell, s, setText, table, when } from './core.js';

const WEEKS = [4, 12, 26, 52, 104];
const st = { weeks: 12, gen: 0, built: false, data: null };

// Charts are drawn for the width they get (text stays legible on a phone).
const chartWidth = () => Math.max(300, Math.min(720, Math.floor(($('stats-charts').clientWidth || 754) - 34)));

export function resetStats() {
  st.gen++;
  st.built = false;
  $('stats-body').replaceChildren();
}

function build() {
  const weeks = h('select', { id: 'stats-weeks' }, WEEKS.map((w) => h('option', { value: w }, `${w} weeks`)));
  weeks.value = String(st.weeks);
  weeks.addEventListener('change', () => {
    st.weeks = Number(weeks.value);
    loadStats();
  });
  $('stats-body').replaceChildren(
    h('form', { class: 'filters', 'aria-label': 'Statistics window', onsubmit: (e) => e.preventDefault() },
      h('label', { for: 'stats-weeks' }, 'Window ', weeks),
      h('p', { id: 'stats-meta', class: 'muted small' })),
    h('div', { id: 'stats-charts' }, h('p', { class: 'muted' }, 'Loading…')));
  st.built = true;
}

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (st.data && !$('view-stats').hidden) draw(st.data);
  }, 200);
});

export function showStats() {
  if (!st.built) build();
  loadStats();
}

async function loadStats() {
  const gen = ++st.gen;
  const data = await act(null, $('stats-error'), () => api(`/v1/coord/stats?weeks=${st.weeks}`));
  if (!data && gen === st.gen) $('stats-charts').replaceChildren();
  if (!data || gen !== st.gen) return;
  setText($('stats-error'), '');
  st.data = data;
  $('stats-meta').replaceChildren(`${data.incidents} incident${data.incidents === 1 ? '' : 's'} · computed `, when(data.generated_at, true));
  draw(data);
}

function draw(data) {
  const W = chartWidth();
  $('stats-charts').replaceChildren(sectorsFigure(data, W), severityFigure(data, W), publicationFigure(data, W));
}

// A chart's frame: <figure> with a heading, the SVG, a legend, the table.
function figure(id, title, svg, legend, tbl) {
  return h('section', { class: 'chart-card', 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, title),
    h('figure', { class: 'chart', id }, svg, legend, h('figcaption', { class: 'sr-only' }, title)),
    h('div', { class: 'table-scroll' }, tbl));
}

function svgRoot(w, hgt, label) {
  const id = `t-${Math.random().toString(36).slice(2)}`;
  return s('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'chart-svg', role: 'img', 'aria-labelledby': id,
    preserveAspectRatio: 'xMidYMid meet' }, s('title', { id }, label));
}

// A "nice" top for an axis: 1, 2, 5 × 10^n at or above max.
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function sectorsFigure(data, W) {
  const weeks = data.weeks || [];
  const sectors = data.sectors || [];
  const totals = weeks.map((_, i) => sectors.reduce((a, x) => a + (x.counts[i] || 0), 0));
  const H = 260;
  const L = 36;
  const R = 8;
  const T = 10;
  const B = 34;
  const top = niceMax(Math.max(0, ...totals));
  const slot = (W - L - R) / Math.max(1, weeks.length);
  const bw = Math.max(2, slot * 0.7);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const svg = svgRoot(W, H, 'Incidents per sector per week, stacked');
  for (const v of [0, top / 2, top]) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }),
      s('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, String(Math.round(v * 10) / 10)));
  }
  const every = Math.ceil(weeks.length / Math.max(2, Math.floor((W - L) / 70)));
  weeks.forEach((wk, i) => {
    const x = L + i * slot + (slot - bw) / 2;
    let acc = 0;
    sectors.forEach((sec, j) => {
      const n = sec.counts[i] || 0;
      if (!n) return;
      svg.append(s('rect', { x, y: y(acc + n), width: bw, height: y(acc) - y(acc + n), class: `bar fill-${j % 15}` },
        s('title', {}, `${human(sec.sector)}, week of ${day(wk)}: ${n}`)));
      acc += n;
    });
    if (i % every === 0) {
      svg.append(s('text', { x: x + bw / 2, y: H - B + 16, class: 'tick', 'text-anchor': 'middle' }, day(wk).replace(/,? \d{4}$/, '')));
    }
  });
  if (!sectors.length) svg.append(s('text', { x: W / 2, y: H / 2, class: 'empty', 'text-anchor': 'middle' }, 'No incidents in this window'));
  const legend = h('ul', { class: 'legend' }, sectors.map((sec, j) =>
    h('li', {}, h('span', { class: `swatch fill-${j % 15}`, 'aria-hidden': 'true' }), `${human(sec.sector)} (${sec.total})`)));
  const tbl = table('numbers', 'Incidents per sector per week',
    ['Week of', ...sectors.map((x) => [human(x.sector), 'num']), ['Total', 'num']],
    weeks.map((wk, i) => h('tr', {}, h('th', { scope: 'row', 'data-label': 'Week of' }, day(wk)),
      ...sectors.map((x) => numCell(human(x.sector), x.counts[i] || 0)), numCell('Total', totals[i]))),
    { id: 'stats-sectors' });
  return figure('chart-sectors', 'Incidents per sector per week', svg, legend, tbl);
}

function severityFigure(data, W) {
  const rows = data.severity || [];
  const total = rows.reduce((a, x) => a + x.count, 0);
  const rowH = 30;
  const L = 70;
  const R = 40;
  const H = rows.length * rowH + 10;
  const top = Math.max(1, ...rows.map((x) => x.count));
  const svg = svgRoot(W, H, 'Severity mix of the incidents in the window');
  rows.forEach((x, i) => {
    const yy = 5 + i * rowH;
    const w = ((W - L - R) * x.count) / top;
    svg.append(s('text', { x: L - 8, y: yy + 19, class: 'tick', 'text-anchor': 'end' }, human(x.severity)),
      s('rect', { x: L, y: yy + 4, width: Math.max(x.count ? 2 : 0, w), height: rowH - 10, class: `bar sev-fill-${x.severity}` },
        s('title', {}, `${human(x.severity)}: ${x.count}`)),
      s('text', { x: L + w + 6, y: yy + 19, class: 'tick' }, String(x.count)));
  });
  const tbl = table('numbers', 'Severity mix', ['Severity', ['Incidents', 'num'], ['Share', 'num']],
    rows.map((x) => h('tr', {}, cell('Severity', human(x.severity)), numCell('Incidents', x.count),
      numCell('Share', total ? `${Math.round((100 * x.count) / total)} %` : '—'))), { id: 'stats-severity' });
  return figure('chart-severity', 'Severity mix', svg, null, tbl);
}

function publicationFigure(data, W) {
  const p = data.publication || {};
  const rows = [['Median', p.median_s], ['90th percentile', p.p90_s]];
  const rowH = 30;
  const L = 110;
  const R = 90;
  const H = rows.length * rowH + 10;
  const top = Math.max(1, ...rows.map(([, v]) => v || 0));
  const svg = svgRoot(W, H, 'Time from the first report to publication');
  rows.forEach(([label, v], i) => {
    const yy = 5 + i * rowH;
    const w = v ? ((W - L - R) * v) / top : 0;
    svg.append(s('text', { x: L - 8, y: yy + 19, class: 'tick', 'text-anchor': 'end' }, label),
      s('rect', { x: L, y: yy + 4, width: Math.max(v ? 2 : 0, w), height: rowH - 10, class: `bar fill-pub-${i}` },
        s('title', {}, `${label}: ${duration(v)}`)),
      s('text', { x: L + w + 6, y: yy + 19, class: 'tick' }, v === null || v === undefined ? 'no data' : duration(v)));
  });
  const tbl = table('numbers', 'Time from report to publication', ['Measure', ['Time', 'num'], ['Seconds', 'num']],
    [...rows.map(([label, v]) => h('tr', {}, cell('Measure', label), numCell('Time', duration(v)),
      numCell('Seconds', v === null || v === undefined ? '—' : Math.round(v)))),
    h('tr', {}, cell('Measure', 'Bulletins measured'), numCell('Time', p.samples ?? 0), numCell('Seconds', '—'))],
    { id: 'stats-publication' });
  return figure('chart-publication', 'Time from the first report to publication', svg,
    h('p', { class: 'muted small' }, `Over ${p.samples ?? 0} bulletin${p.samples === 1 ? '' : 's'} first published in the window.`), tbl);
}
