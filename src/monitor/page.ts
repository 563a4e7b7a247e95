// The monitor page served at GET /: one self-contained HTML document with inline CSS and vanilla JS (no build step, no framework).
//
// The script opens /api/events (server-sent events): a snapshot, then an update a
// second. The instrument table is paged: filtered (exchange, code) and sorted in memory,
// and only the rows of the current page exist in the DOM. Every value reaches the DOM
// through textContent or a numeric attribute, never through innerHTML, so a hostile
// string is shown as text. The Content-Security-Policy allows exactly this script and
// this style (by hash) and connections to the page's own origin; no form, no frame.
//
// The script is plain ES5-style JavaScript in a template string: it contains no
// backquote and no dollar-brace, so the template inserts nothing into it.

import crypto from 'node:crypto';

const CSS = `
:root { --bg:#0f1419; --panel:#161c24; --line:#263040; --fg:#d6dde6; --dim:#7d8a99; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --acc:#58a6ff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display:flex; flex-wrap:wrap; align-items:baseline; gap:4px 12px; padding:10px 16px; border-bottom:1px solid var(--line); }
header h1 { font-size:17px; margin:0; letter-spacing:.5px; }
header .sub { color:var(--dim); }
header .right { margin-left:auto; display:flex; flex-wrap:wrap; justify-content:flex-end; gap:4px 14px; color:var(--dim); }
.clock.sim { color:var(--warn); }
.conn::before { content:"\\25CF  "; }
.conn.live { color:var(--ok); } .conn.lost { color:var(--bad); }
.banner { margin:10px 16px 0; padding:10px 14px; border-radius:6px; background:#3d1214; border:1px solid var(--bad); color:#ffd7d5; font-weight:600; overflow-wrap:anywhere; }
.banner div + div { margin-top:4px; }
.banner .warn { color:#f2cc60; }
main { padding:10px 16px 16px; }
/* Columns, not a grid: each card is as tall as its content and the columns are balanced, so no card is stretched to its neighbour's height. */
.cards { columns:3 340px; column-gap:10px; }
.card { break-inside:avoid; margin:0 0 10px; background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; min-width:0; overflow-x:auto; }
.card h2, .toolbar h2 { font-size:12px; text-transform:uppercase; letter-spacing:.8px; color:var(--dim); margin:0 0 8px; font-weight:600; }
.big { font-size:26px; font-weight:600; font-variant-numeric:tabular-nums; }
.big small { display:block; font-size:12px; color:var(--dim); font-weight:400; }
dl { display:grid; grid-template-columns:auto 1fr; gap:2px 10px; margin:6px 0 0; }
dt { color:var(--dim); white-space:nowrap; } dd { margin:0; text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
#compaction dd, #disk dd { white-space:normal; overflow-wrap:anywhere; }
.mini td.cause { text-align:left; white-space:normal; overflow-wrap:anywhere; color:#ffd7d5; padding-top:0; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { padding:3px 6px; text-align:right; white-space:nowrap; }
th:first-child, td:first-child { text-align:left; }
.mini th, .mini td { padding:2px 4px; }
.mini th { color:var(--dim); font-weight:500; border-bottom:1px solid var(--line); }
.state { padding:0 6px; border-radius:8px; font-size:12px; }
.state.up { background:#12361d; color:var(--ok); } .state.down, .state.stopped { background:#3d1214; color:var(--bad); }
.state.connecting, .state.idle { background:#3a2d0b; color:var(--warn); }
svg.spark { width:100%; height:46px; display:block; margin-top:4px; }
svg.spark polyline { fill:none; stroke:var(--acc); stroke-width:1.5; vector-effect:non-scaling-stroke; }
svg.spark polygon { fill:rgba(88,166,255,.15); stroke:none; }
meter { width:100%; height:8px; }
.muted { color:var(--dim); }
.ok { color:var(--ok); } .bad { color:var(--bad); }
.instruments { margin-top:2px; background:var(--panel); border:1px solid var(--line); border-radius:6px; }
.toolbar { display:flex; flex-wrap:wrap; align-items:center; gap:12px; padding:10px 12px; border-bottom:1px solid var(--line); }
.toolbar h2 { margin:0; }
.toolbar label { color:var(--dim); display:flex; gap:6px; align-items:center; }
input, select, button { background:#0d1117; color:var(--fg); border:1px solid var(--line); border-radius:4px; padding:3px 6px; font:inherit; }
button { cursor:pointer; min-width:28px; } button:disabled { opacity:.4; cursor:default; }
.pager { margin-left:auto; display:flex; flex-wrap:wrap; gap:6px; align-items:center; color:var(--dim); }
input[type=search] { width:150px; }
.grid th { position:sticky; top:0; background:var(--panel); color:var(--dim); font-weight:500; border-bottom:1px solid var(--line); cursor:pointer; user-select:none; }
.grid th.sorted { color:var(--fg); }
.grid th.sorted.asc::after { content:" \\25B2"; font-size:9px; } .grid th.sorted.desc::after { content:" \\25BC"; font-size:9px; }
.grid td { border-bottom:1px solid #1c2430; }
.grid tbody tr:hover { background:#1b2330; }
.grid th:nth-child(2), .grid td:nth-child(2) { text-align:left; }
.grid td.code { font-weight:600; }
.grid td.px.up { color:var(--ok); } .grid td.px.down { color:var(--bad); }
.grid td.stale { color:var(--dim); }
/* Narrow screens: the table scrolls inside its own box; the page never scrolls sideways. */
@media (max-width:900px) {
  .table-wrap { overflow-x:auto; }
  .grid th { position:static; }
  main { padding:8px 8px 12px; }
  .banner { margin:8px 8px 0; }
  header { padding:8px; }
  .toolbar { gap:8px; }
  .pager { margin-left:0; }
}
.empty { padding:16px; color:var(--dim); }
footer { padding:0 16px 14px; color:var(--dim); font-size:12px; }
footer a { color:var(--acc); }
`;

const JS = `
(function () {
  'use strict';
  var byId = function (id) { return document.getElementById(id); };
  var COLS = [
    { k: 'ex', t: 'exchange' }, { k: 'code', t: 'code' }, { k: 'price', t: 'last price' },
    { k: 'time', t: 'last tick', h: 'exchange time of the last tick, with the UTC offset of the exchange' },
    { k: 'tradingDate', t: 'trading day', h: 'the trading day the tick belongs to (a night session belongs to the next day)' },
    { k: 'age', t: 'age', h: 'since the last tick was written, by the recorder clock' }, { k: 'ticks', t: 'ticks today' }, { k: 'rate', t: 'ticks/s' },
    { k: 'fileBytes', t: 'file size', h: 'the live tick file on disk, with the space it reserves ahead (it grows by doubling)' },
    { k: 'lagMs', t: 'lag', h: 'recorder clock at writing minus the exchange time of the tick' }
  ];
  var rows = new Map();
  var exchanges = new Set();
  // A phone gets short pages; every size is a choice of the page-size menu.
  var view = { key: 'id', dir: 1, page: 0, size: window.innerWidth < 700 ? 25 : 50, ex: '', code: '' };
  var last = null;
  var lastMsgAt = 0;
  var es = null;
  var connected = false;

  function setText(el, s) { s = String(s); if (el.textContent !== s) el.textContent = s; }
  function make(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = String(text); return e; }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function int(n) { return n == null ? '\\u2013' : Math.round(n).toLocaleString('en-US'); }
  function bytes(n) {
    if (n == null || n < 0) return '\\u2013';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + u[i];
  }
  function dur(ms) {
    if (ms == null || !isFinite(ms)) return '\\u2013';
    var neg = ms < 0, a = Math.abs(ms), s;
    if (a < 1000) s = (a < 10 ? a.toFixed(1) : Math.round(a)) + ' ms';
    else if (a < 60000) s = (a / 1000).toFixed(a < 10000 ? 1 : 0) + ' s';
    else if (a < 3600000) s = (a / 60000).toFixed(1) + ' min';
    else if (a < 172800000) s = (a / 3600000).toFixed(1) + ' h';
    else s = (a / 86400000).toFixed(1) + ' d';
    return (neg ? '-' : '') + s;
  }
  function rate(r) { return r == null ? '\\u2013' : r >= 100 ? String(Math.round(r)) : r.toFixed(1); }
  function price(p) { return p == null ? '\\u2013' : String(Number(p.toPrecision(12))); }
  function pad(n, w) { var s = String(n); while (s.length < w) s = '0' + s; return s; }
  function hms(t) {
    if (!t) return '\\u2013';
    return pad(Math.floor(t / 10000000), 2) + ':' + pad(Math.floor(t / 100000) % 100, 2) + ':' + pad(Math.floor(t / 1000) % 100, 2) + '.' + pad(t % 1000, 3);
  }
  // Every time on the page says its zone: 'UTC', 'UTC+8', 'UTC-3:30'.
  function zone(offMin) {
    if (offMin == null) return 'zone unknown';
    if (offMin === 0) return 'UTC';
    var a = Math.abs(offMin), m = a % 60;
    return 'UTC' + (offMin < 0 ? '-' : '+') + Math.floor(a / 60) + (m ? ':' + pad(m, 2) : '');
  }
  // An instant in this browser's time zone, 24-hour, with the zone.
  function localClock(ms, withDate) {
    var d = new Date(ms);
    return (withDate ? d.getFullYear() + '-' + pad(d.getMonth() + 1, 2) + '-' + pad(d.getDate(), 2) + ' ' : '') +
      pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + ' ' + zone(-d.getTimezoneOffset());
  }
  function ymd(d) { d = String(d); return d.length === 8 ? d.slice(0, 4) + '-' + d.slice(4, 6) + '-' + d.slice(6) : d; }
  function ageOf(r) { return r.publishedMs > 0 && last ? Math.max(0, last.nowMs - r.publishedMs) : null; }

  // ---- top cards ----
  function renderBanner() {
    var b = byId('banner');
    clear(b);
    var alerts = last ? last.alerts.slice() : [];
    if (!connected && lastMsgAt > 0) alerts.unshift({ level: 'error', text: 'Connection to the recorder lost: retrying (figures below are from ' + dur(Date.now() - lastMsgAt) + ' ago)' });
    for (var i = 0; i < alerts.length; i++) {
      var d = make('div', alerts[i].level === 'warn' ? 'warn' : 'error', alerts[i].text);
      if (alerts[i].feed != null) d.setAttribute('data-feed', String(alerts[i].feed));
      b.appendChild(d);
    }
    b.hidden = alerts.length === 0;
  }

  function dl(el, pairs) {
    clear(el);
    for (var i = 0; i < pairs.length; i++) {
      el.appendChild(make('dt', null, pairs[i][0]));
      var dd = make('dd', pairs[i][2] || null, pairs[i][1]);
      el.appendChild(dd);
    }
  }

  function renderFeeds(m) {
    var tb = byId('feeds');
    clear(tb);
    for (var i = 0; i < m.feeds.length; i++) {
      var f = m.feeds[i], tr = make('tr');
      tr.setAttribute('data-feed', f.name);
      tr.appendChild(make('td', null, f.name));
      var td = make('td'); td.appendChild(make('span', 'state ' + String(f.state).replace(/[^a-z]/g, ''), f.state)); tr.appendChild(td);
      tr.appendChild(make('td', null, int(f.reconnects)));
      tr.appendChild(make('td', null, int(f.messages)));
      tr.appendChild(make('td', null, f.lastMessageAgeMs == null ? 'never' : dur(f.lastMessageAgeMs) + ' ago'));
      tb.appendChild(tr);
      if (f.cause) {
        var cr = make('tr'), cd = make('td', 'cause', f.cause);
        cr.setAttribute('data-cause', f.name);
        cd.colSpan = 5;
        cr.appendChild(cd);
        tb.appendChild(cr);
      }
    }
  }

  function renderRate(m) {
    setText(byId('rate-now'), rate(m.rate.now));
    var h = m.rate.history, svg = byId('spark'), peak = 0, i;
    for (i = 0; i < h.length; i++) if (h[i] > peak) peak = h[i];
    var max = Math.max(peak, 1); // the scale; the label shows the real peak (0 with no ticks)
    var n = Math.max(h.length, 2), pts = [];
    for (i = 0; i < h.length; i++) pts.push((i * 100 / (n - 1)).toFixed(2) + ',' + (40 - h[i] / max * 38).toFixed(2));
    byId('spark-line').setAttribute('points', pts.join(' '));
    byId('spark-area').setAttribute('points', pts.length ? '0,40 ' + pts.join(' ') + ' ' + ((h.length - 1) * 100 / (n - 1)).toFixed(2) + ',40' : '');
    setText(byId('spark-max'), m.totals.ticksWritten === 0 ? 'no ticks yet' : 'max ' + rate(peak) + '/s over ' + h.length + ' s');
    var t = m.totals;
    dl(byId('totals'), [
      ['ticks written', int(t.ticksWritten)], ['trades written', int(t.tradesWritten)], ['instruments', int(t.instruments)],
      ['lag p50 / p99', t.lagMs.count > 0 ? dur(t.lagMs.p50) + ' / ' + dur(t.lagMs.p99) : '\u2013 (no ticks yet)'], ['open / live files', int(t.openFiles) + ' / ' + int(t.liveFiles)],
      ['write errors', int(t.writeErrors), t.writeErrors > 0 ? 'bad' : null], ['uptime', dur((m.uptimeSeconds != null ? m.uptimeSeconds : (m.nowMs - m.startedMs) / 1000) * 1000)]
    ]);
  }

  function renderDisk(m) {
    var d = m.disk, meter = byId('disk-meter');
    if (d.totalBytes) { meter.max = d.totalBytes; meter.value = d.totalBytes - (d.freeBytes || 0); meter.low = d.totalBytes * 0.8; meter.high = d.totalBytes * 0.95; meter.optimum = 0; }
    var pct = d.totalBytes ? ' (' + (100 * d.freeBytes / d.totalBytes).toFixed(1) + '%)' : '';
    var measuring = d.writtenBytesPerMin == null;
    dl(byId('disk'), [
      ['free', bytes(d.freeBytes) + pct, d.low ? 'bad' : null], ['total', bytes(d.totalBytes)],
      ['live files', bytes(d.liveBytes) + (d.reservedBytes != null ? ', ' + bytes(d.reservedBytes) + ' reserved ahead' : '')],
      ['written', measuring ? 'measuring\\u2026' : bytes(d.writtenBytesPerMin) + '/min'],
      ['full in', measuring ? '\\u2013' : d.fullInMs == null ? 'nothing written' : dur(d.fullInMs) + ' at this rate']
    ]);
    var dts = byId('disk').querySelectorAll('dt');
    if (dts.length > 4) {
      dts[2].title = 'what the live files take on disk; "reserved ahead" is space a file holds beyond its records (it grows by doubling): already out of "free"';
      dts[3].title = 'bytes of records written per minute, over the last minute: the data, not the steps of reserved space';
      dts[4].title = 'free space divided by the written rate';
    }
  }

  function renderRejects(m) {
    var tb = byId('rejects');
    clear(tb);
    if (m.rejected.length === 0) { var tr0 = make('tr'); tr0.appendChild(make('td', 'muted', 'none')); tb.appendChild(tr0); }
    for (var i = 0; i < m.rejected.length; i++) {
      var tr = make('tr');
      tr.appendChild(make('td', null, m.rejected[i].reason));
      tr.appendChild(make('td', null, int(m.rejected[i].count)));
      tb.appendChild(tr);
    }
    setText(byId('regressions'), m.totals.volumeRegressions > 0 ? int(m.totals.volumeRegressions) + ' volume regressions kept as volume 0' : '');
  }

  // Compaction times are the wall clock of the machine that ran it: said so when the recorder's clock is simulated.
  function wallStamp(m, iso) {
    var t = Date.parse(iso);
    return localClock(t, true) + ', ' + dur(Math.max(0, m.wallMs - t)) + ' ago' + (m.simulatedClock ? ' (wall clock)' : '');
  }
  function renderCompaction(m) {
    var c = m.compaction, el = byId('compaction'), pairs = [];
    if (c.runningSince) pairs.push(['now', 'running since ' + wallStamp(m, c.runningSince), 'ok']);
    if (c.state === 'none') pairs.push(['last run', 'none yet', 'muted']);
    else if (c.state === 'unreadable') pairs.push(['last run', 'summary unreadable', 'bad']);
    else {
      var days = c.days == null ? '\\u2013' : int(c.days) + (c.dayList.length ? ': ' + c.dayList.map(ymd).join(', ') : '');
      pairs.push(
        ['last run', c.ok === true ? 'ok' : c.ok === false ? 'FAILED' : '\\u2013', c.ok === true ? 'ok' : c.ok === false ? 'bad' : null],
        ['finished', c.finishedAt ? wallStamp(m, c.finishedAt) : '\\u2013'], ['days', days], ['files', int(c.files)],
        ['bytes in / out', bytes(c.bytesIn) + ' / ' + bytes(c.bytesOut) + (c.ratio == null ? '' : ' (' + Number(c.ratio.toPrecision(4)) + '\\u00d7)')],
        ['took', c.seconds == null ? '\\u2013' : dur(c.seconds * 1000)]
      );
    }
    dl(el, pairs);
  }

  function renderBus(m) {
    var el = byId('bus'), b = m.bus || [];
    byId('card-bus').hidden = b.length === 0;
    if (b.length === 0) return;
    var rows = [];
    b.forEach(function (x) {
      var stale = x.lagRecords > 0 && x.cursorAgeMs > 30000;
      rows.push([x.stream + ' lag', int(x.lagRecords) + ' records', x.lagRecords === 0 ? 'ok' : stale ? 'bad' : null]);
      rows.push([x.stream + ' behind', dur(x.lagSeconds * 1000), x.lagRecords === 0 ? 'ok' : stale ? 'bad' : null]);
      rows.push([x.stream + ' files behind', int(x.filesBehind)]);
      rows.push([x.stream + ' cursor age', dur(x.cursorAgeMs), stale ? 'bad' : null]);
    });
    dl(el, rows);
  }

  // ---- instruments ----
  var tbody, thead;
  function buildHead() {
    var tr = make('tr');
    COLS.forEach(function (c) {
      var th = make('th', null, c.t);
      th.setAttribute('data-k', c.k);
      if (c.h) th.title = c.h;
      th.addEventListener('click', function () {
        if (view.key === c.k) view.dir = -view.dir; else { view.key = c.k; view.dir = c.k === 'ex' || c.k === 'code' ? 1 : -1; }
        renderTable();
      });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
  }
  function sortValue(r, k) {
    if (k === 'age') { var a = ageOf(r); return a == null ? Infinity : a; }
    if (k === 'time') return r.date * 1e9 + r.time;
    if (k === 'id') return r.id;
    var v = r[k];
    return v == null ? -Infinity : v;
  }
  function cmp(a, b) {
    var x = sortValue(a, view.key), y = sortValue(b, view.key);
    if (x < y) return -view.dir; if (x > y) return view.dir;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }
  function filtered() {
    var out = [], q = view.code.trim().toLowerCase();
    rows.forEach(function (r) {
      if (view.ex && r.ex !== view.ex) return;
      if (q && r.code.toLowerCase().indexOf(q) < 0 && r.id.toLowerCase().indexOf(q) < 0) return;
      out.push(r);
    });
    out.sort(cmp);
    return out;
  }
  function fillRow(tr, r) {
    if (tr.getAttribute('data-id') !== r.id) tr.setAttribute('data-id', r.id);
    var td = tr.children, age = ageOf(r);
    setText(td[0], r.ex);
    setText(td[1], r.code);
    setText(td[2], price(r.price));
    td[2].className = 'px' + (r.dir > 0 ? ' up' : r.dir < 0 ? ' down' : '');
    setText(td[3], r.date ? hms(r.time) + ' ' + zone(r.utcOffsetMin) : '\\u2013');
    td[3].title = r.date ? ymd(r.date) + ' ' + hms(r.time) + ' exchange time (' + zone(r.utcOffsetMin) + ')' : '';
    setText(td[4], r.tradingDate ? ymd(r.tradingDate) : '\\u2013');
    setText(td[5], age == null ? '\\u2013' : dur(age));
    td[5].className = age != null && age > 10000 ? 'stale' : '';
    setText(td[6], int(r.ticks));
    td[6].title = r.trades ? int(r.trades) + ' trades' : '';
    setText(td[7], rate(r.rate));
    setText(td[8], bytes(r.fileBytes));
    setText(td[9], dur(r.lagMs));
  }
  function renderTable() {
    var list = filtered();
    var pages = Math.max(1, Math.ceil(list.length / view.size));
    if (view.page >= pages) view.page = pages - 1;
    var from = view.page * view.size, slice = list.slice(from, from + view.size);
    while (tbody.children.length > slice.length) tbody.removeChild(tbody.lastChild);
    while (tbody.children.length < slice.length) {
      var tr = make('tr');
      for (var c = 0; c < COLS.length; c++) tr.appendChild(make('td', c === 1 ? 'code' : null));
      tbody.appendChild(tr);
    }
    for (var i = 0; i < slice.length; i++) fillRow(tbody.children[i], slice[i]);
    byId('empty').hidden = slice.length > 0;
    setText(byId('count'), list.length === 0 ? '0 of ' + int(rows.size) : (from + 1) + '\\u2013' + (from + slice.length) + ' of ' + int(list.length) + (list.length !== rows.size ? ' (' + int(rows.size) + ' in all)' : ''));
    setText(byId('page'), 'page ' + (view.page + 1) + ' / ' + pages);
    byId('first').disabled = byId('prev').disabled = view.page === 0;
    byId('last').disabled = byId('next').disabled = view.page >= pages - 1;
    var ths = thead.querySelectorAll('th');
    for (var j = 0; j < ths.length; j++) {
      var on = ths[j].getAttribute('data-k') === view.key;
      ths[j].className = on ? 'sorted ' + (view.dir > 0 ? 'asc' : 'desc') : '';
    }
  }
  function addExchanges() {
    // A Set, never {}: an exchange named 'constructor' or 'hasOwnProperty' is a legal name.
    var sel = byId('f-ex'), have = new Set(), i;
    for (i = 0; i < sel.options.length; i++) have.add(sel.options[i].value);
    var list = Array.from(exchanges).sort();
    for (i = 0; i < list.length; i++) if (!have.has(list[i])) {
      var o = make('option', null, list[i]); o.value = list[i];
      var before = null;
      for (var j = 1; j < sel.options.length; j++) if (sel.options[j].value > list[i]) { before = sel.options[j]; break; }
      sel.insertBefore(o, before);
    }
  }

  // ---- messages ----
  function apply(m, full) {
    if (full) rows.clear();
    var newEx = false;
    for (var i = 0; i < m.instruments.length; i++) {
      var r = m.instruments[i], old = rows.get(r.id);
      r.dir = old && old.price != null && r.price != null ? (r.price > old.price ? 1 : r.price < old.price ? -1 : old.dir) : 0;
      rows.set(r.id, r);
      if (!exchanges.has(r.ex)) { exchanges.add(r.ex); newEx = true; }
    }
    last = m;
    lastMsgAt = Date.now();
    if (newEx) addExchanges();
    renderBanner(); renderFeeds(m); renderRate(m); renderDisk(m); renderRejects(m); renderCompaction(m); renderBus(m); renderTable();
    // 'updated' is the wall clock; a simulated recorder clock is shown apart, as such.
    setText(byId('updated'), 'updated ' + localClock(m.wallMs, false));
    var clock = byId('clock');
    clock.hidden = !m.simulatedClock;
    if (m.simulatedClock) {
      setText(clock, 'simulated clock ' + localClock(m.nowMs, true));
      clock.title = 'the recorder runs on a simulated clock (--clock-start or simulator.start): ticks, ages and lags follow it; "updated" and compaction times are the wall clock';
    }
  }
  function setConn(on, text) {
    connected = on;
    var c = byId('conn');
    c.className = 'conn ' + (on ? 'live' : 'lost');
    setText(c, text || (on ? 'live' : 'disconnected'));
    renderBanner();
  }
  function connect() {
    es = new EventSource('/api/events');
    es.addEventListener('snapshot', function (ev) { apply(JSON.parse(ev.data), true); setConn(true); });
    es.addEventListener('update', function (ev) { apply(JSON.parse(ev.data), false); if (!connected) setConn(true); });
    es.onerror = function () {
      setConn(false, 'reconnecting');
      if (es.readyState === 2) { es.close(); setTimeout(connect, 5000); } // refused (e.g. too many clients): retry later
    };
  }
  setInterval(function () { if (connected && lastMsgAt && Date.now() - lastMsgAt > 5000) setConn(false, 'stalled'); }, 1000);

  document.addEventListener('DOMContentLoaded', function () {
    tbody = byId('rows'); thead = byId('head');
    buildHead();
    byId('f-ex').addEventListener('change', function (e) { view.ex = e.target.value; view.page = 0; renderTable(); });
    byId('f-code').addEventListener('input', function (e) { view.code = e.target.value; view.page = 0; renderTable(); });
    byId('page-size').value = String(view.size);
    byId('page-size').addEventListener('change', function (e) { view.size = Number(e.target.value) || 50; view.page = 0; renderTable(); });
    byId('first').addEventListener('click', function () { view.page = 0; renderTable(); });
    byId('prev').addEventListener('click', function () { if (view.page > 0) { view.page--; renderTable(); } });
    byId('next').addEventListener('click', function () { view.page++; renderTable(); });
    byId('last').addEventListener('click', function () { view.page = Infinity; renderTable(); });
    renderTable();
    connect();
  });
})();
`;

const HTML_HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>tickrec monitor</title>
<style>`;

const HTML_BODY = `</style>
</head>
<body>
<header>
  <h1>tickrec</h1><span class="sub">recorder monitor</span>
  <span class="right"><span id="clock" class="clock sim" hidden></span><span id="updated"></span><span id="conn" class="conn">connecting</span></span>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<main>
  <section class="cards">
    <div class="card" id="card-feeds"><h2>Feeds</h2>
      <table class="mini"><thead><tr><th>feed</th><th>state</th><th title="reconnects">reconn.</th><th title="frames received">frames</th><th title="since the last frame">last</th></tr></thead><tbody id="feeds"></tbody></table>
    </div>
    <div class="card" id="card-rate"><h2>Ticks/s</h2>
      <div class="big"><span id="rate-now">&#8211;</span> <small id="spark-max"></small></div>
      <svg class="spark" id="spark" viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label="ticks written per second, last two minutes"><polygon id="spark-area" points=""></polygon><polyline id="spark-line" points=""></polyline></svg>
      <dl id="totals"></dl>
    </div>
    <div class="card" id="card-disk"><h2>Disk</h2><meter id="disk-meter" min="0" max="1" value="0"></meter><dl id="disk"></dl></div>
    <div class="card" id="card-compaction"><h2>Compaction</h2><dl id="compaction"></dl></div>
    <div class="card" id="card-rejects"><h2>Rejections by reason</h2><table class="mini"><tbody id="rejects"></tbody></table><div class="muted" id="regressions"></div></div>
    <div class="card" id="card-bus" hidden><h2>Bus publisher (NATS)</h2><dl id="bus"></dl></div>
  </section>
  <section class="instruments">
    <div class="toolbar">
      <h2>Instruments</h2>
      <label>exchange <select id="f-ex"><option value="">all</option></select></label>
      <label>code <input id="f-code" type="search" placeholder="filter, e.g. rb25" autocomplete="off" spellcheck="false"></label>
      <span class="pager"><span id="count"></span><button id="first" type="button" aria-label="first page">&#171;</button><button id="prev" type="button" aria-label="previous page">&#8249;</button><span id="page"></span><button id="next" type="button" aria-label="next page">&#8250;</button><button id="last" type="button" aria-label="last page">&#187;</button>
        <select id="page-size" aria-label="rows per page"><option>10</option><option>25</option><option>50</option><option>100</option><option>200</option></select></span>
    </div>
    <div class="table-wrap" id="table-wrap"><table class="grid" id="instruments"><thead id="head"></thead><tbody id="rows"></tbody></table></div>
    <div class="empty" id="empty">no instrument yet</div>
  </section>
</main>
<footer>read-only &#183; live over server-sent events, once a second &#183; <a href="/metrics">/metrics</a></footer>
<script>`;

const HTML_TAIL = `</script>
</body>
</html>
`;

const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('base64');

/** The page. */
export const PAGE_HTML = HTML_HEAD + CSS + HTML_BODY + JS + HTML_TAIL;

/** Its Content-Security-Policy: this inline script and style only, connections to its own origin. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(JS)}'`,
  `style-src 'sha256-${sha256(CSS)}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The script and style alone (tests). */
export const PAGE_PARTS = { css: CSS, js: JS } as const;
