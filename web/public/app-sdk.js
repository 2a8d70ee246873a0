/* Kaiwu APP UI SDK (window.kaiwu) with its base CSS. GET /api/v1/apps/{appId}/ui/{file}.html puts
 * <script src="/app-sdk.js"> first in the APP's <head>; the console shows that page in
 * <iframe sandbox="allow-scripts allow-downloads">: an opaque origin that never sees the user's
 * token, and a CSP with no network at all; everything goes through postMessage to the console
 * (CONTRACT-S16 "APP UI inside the console"):
 *   console → frame  {kaiwu:'init', appId, lang, theme, enterpriseId, user:{name, role}}
 *                    {kaiwu:'change', lang, theme}
 *                    {kaiwu:'result', id, ok, output | error:{code, message}}
 *   frame → console  {kaiwu:'call', id, fn, input}  {kaiwu:'download', fileId}  {kaiwu:'resize', height}
 * No external URLs, no dependencies. */
(function () {
  'use strict';
  if (window.kaiwu && window.kaiwu.__sdk) return;

  var CSS = [
    ':root{--kw-bg:#f5f7fa;--kw-card:#fff;--kw-text:rgba(0,0,0,.88);--kw-muted:rgba(0,0,0,.55);--kw-border:#e5e7eb;',
    '--kw-primary:#1668dc;--kw-ok:#389e0d;--kw-warn:#d48806;--kw-bad:#cf1322;--kw-grid:#eef0f3;--kw-hover:#f0f5ff}',
    'body[data-theme="dark"]{--kw-bg:#141414;--kw-card:#1f1f1f;--kw-text:rgba(255,255,255,.88);--kw-muted:rgba(255,255,255,.55);',
    '--kw-border:#303030;--kw-primary:#3c89e8;--kw-ok:#6abe39;--kw-warn:#e8b339;--kw-bad:#e84749;--kw-grid:#2a2a2a;--kw-hover:#15325b}',
    'html,body{margin:0;padding:0}',
    "body{background:var(--kw-bg);color:var(--kw-text);font:14px/1.5 -apple-system,BlinkMacSystemFont,'Segoe UI','PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;padding:12px;box-sizing:border-box}",
    '*,*:before,*:after{box-sizing:inherit}',
    'h1,h2,h3{margin:0 0 8px;font-weight:600}h1{font-size:20px}h2{font-size:16px}h3{font-size:14px}',
    '.kw-card{background:var(--kw-card);border:1px solid var(--kw-border);border-radius:8px;padding:12px 16px;margin-bottom:12px}',
    '.kw-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px;margin-bottom:12px}',
    '.kw-kpi{background:var(--kw-card);border:1px solid var(--kw-border);border-radius:8px;padding:12px 16px}',
    '.kw-kpi .kw-label,.kw-kpi>span:first-child{display:block;color:var(--kw-muted);font-size:13px}',
    '.kw-kpi .kw-value,.kw-kpi>strong{display:block;font-size:26px;font-weight:600;line-height:1.3;font-variant-numeric:tabular-nums}',
    '.kw-kpi .kw-unit{font-size:13px;color:var(--kw-muted);margin-left:4px;font-weight:400}',
    '.kw-table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}',
    '.kw-table th,.kw-table td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--kw-border)}',
    '.kw-table th{color:var(--kw-muted);font-weight:500;background:var(--kw-bg)}.kw-table tr:hover td{background:var(--kw-hover)}',
    '.kw-table td.num,.kw-table th.num{text-align:right}',
    '.kw-btn{display:inline-flex;align-items:center;gap:4px;height:32px;padding:0 14px;border-radius:6px;border:1px solid var(--kw-border);',
    'background:var(--kw-card);color:var(--kw-text);cursor:pointer;font:inherit}.kw-btn:hover{border-color:var(--kw-primary);color:var(--kw-primary)}',
    '.kw-btn.primary{background:var(--kw-primary);border-color:var(--kw-primary);color:#fff}.kw-btn.primary:hover{opacity:.9;color:#fff}',
    '.kw-btn:disabled{opacity:.5;cursor:not-allowed}',
    '.kw-input{height:32px;padding:0 10px;border-radius:6px;border:1px solid var(--kw-border);background:var(--kw-card);color:var(--kw-text);font:inherit}',
    '.kw-input:focus{outline:none;border-color:var(--kw-primary)}',
    '.kw-tag{display:inline-block;padding:0 8px;border-radius:4px;font-size:12px;line-height:20px;border:1px solid var(--kw-border)}',
    '.kw-tag.ok{color:var(--kw-ok);border-color:var(--kw-ok)}.kw-tag.warn{color:var(--kw-warn);border-color:var(--kw-warn)}',
    '.kw-tag.bad{color:var(--kw-bad);border-color:var(--kw-bad)}',
    '.kw-muted{color:var(--kw-muted)}.kw-error{color:var(--kw-bad)}',
    '.kw-chart{width:100%}.kw-chart svg{display:block;width:100%;height:auto;overflow:visible}',
    '.kw-chart text{fill:var(--kw-muted);font-size:11px}.kw-chart .kw-axis{stroke:var(--kw-border)}.kw-chart .kw-gridline{stroke:var(--kw-grid)}',
    '.kw-legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;color:var(--kw-muted);margin-top:4px}',
    '.kw-legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}',
  ].join('\n');

  // The console's ECharts palette, so APP charts look like the console's own.
  var PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];
  var SVG = 'http://www.w3.org/2000/svg';

  var state = { appId: '', lang: 'zh-CN', theme: 'light', enterpriseId: '', user: { name: '', role: '' } };
  var initialised = false;
  var readyWaiters = [];
  var changeListeners = [];
  var pending = {};
  var nextId = 1;

  function post(msg) { window.parent.postMessage(msg, '*'); }

  function applyEnv() {
    var apply = function () {
      document.documentElement.lang = state.lang;
      if (document.body) document.body.dataset.theme = state.theme;
    };
    if (document.body) apply(); else document.addEventListener('DOMContentLoaded', apply);
  }

  function snapshot() {
    return { appId: state.appId, lang: state.lang, theme: state.theme, enterpriseId: state.enterpriseId,
      user: { name: state.user.name, role: state.user.role } };
  }

  window.addEventListener('message', function (ev) {
    if (ev.source !== window.parent) return; // only the console that embeds us
    var m = ev.data;
    if (!m || typeof m !== 'object' || typeof m.kaiwu !== 'string') return;
    if (m.kaiwu === 'init') {
      state.appId = String(m.appId || '');
      state.lang = m.lang === 'en' ? 'en' : 'zh-CN';
      state.theme = m.theme === 'dark' ? 'dark' : 'light';
      state.enterpriseId = String(m.enterpriseId || '');
      state.user = { name: (m.user && m.user.name) || '', role: (m.user && m.user.role) || '' };
      applyEnv();
      if (!initialised) {
        initialised = true;
        var w = readyWaiters; readyWaiters = [];
        w.forEach(function (r) { r(snapshot()); });
      } else {
        notify();
      }
    } else if (m.kaiwu === 'change') {
      if (m.lang) state.lang = m.lang === 'en' ? 'en' : 'zh-CN';
      if (m.theme) state.theme = m.theme === 'dark' ? 'dark' : 'light';
      applyEnv();
      notify();
    } else if (m.kaiwu === 'result') {
      var p = pending[m.id];
      if (!p) return;
      delete pending[m.id];
      if (m.ok) p.resolve(m.output);
      else p.reject(m.error && typeof m.error === 'object' ? m.error : { code: 'error', message: String(m.error) });
    }
  });

  function notify() {
    var s = snapshot();
    changeListeners.forEach(function (cb) { try { cb(s); } catch (e) { console.error(e); } });
  }

  // ---- formatting -----------------------------------------------------------------------------
  function locale() { return state.lang === 'en' ? 'en' : 'zh-CN'; }
  function fmtNumber(v, digits) {
    if (v === null || v === undefined || typeof v !== 'number' || !isFinite(v)) return '—';
    var d = digits === undefined ? 2 : digits;
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: d, minimumFractionDigits: 0 }).format(v);
  }
  function fmtTime(ts) {
    if (!ts && ts !== 0) return '—';
    return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'medium', hour12: false }).format(new Date(ts));
  }
  function shortTime(ts, span) {
    var d = new Date(ts);
    var opts = span > 2 * 86400000 ? { month: 'numeric', day: 'numeric' } : { hour: '2-digit', minute: '2-digit', hour12: false };
    return new Intl.DateTimeFormat(locale(), opts).format(d);
  }

  // ---- SVG charts -----------------------------------------------------------------------------
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, anchor) {
    var t = el('text', { x: x, y: y, 'text-anchor': anchor || 'start' }, parent);
    t.textContent = s;
    return t;
  }
  function niceTicks(lo, hi, n) {
    if (lo === hi) { lo -= 1; hi += 1; }
    var raw = (hi - lo) / Math.max(1, n);
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).find(function (s) { return s >= raw; }) || raw;
    var start = Math.floor(lo / step) * step;
    var ticks = [];
    // Up to the first tick at or above hi, so the top tick is never below the largest value.
    for (var v = start; ticks.length < 20; v += step) {
      ticks.push(+v.toFixed(10));
      if (v >= hi - step * 1e-9) break;
    }
    return ticks;
  }
  function host(target) {
    var node = typeof target === 'string' ? document.querySelector(target) : target;
    if (!node) throw new Error('kaiwu.chart: no element ' + target);
    node.classList.add('kw-chart');
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }
  function legend(node, names) {
    if (names.length < 2) return;
    var l = document.createElement('div');
    l.className = 'kw-legend';
    names.forEach(function (n, i) {
      var s = document.createElement('span');
      var sw = document.createElement('i');
      sw.style.background = PALETTE[i % PALETTE.length];
      s.appendChild(sw);
      s.appendChild(document.createTextNode(n));
      l.appendChild(s);
    });
    node.appendChild(l);
  }

  // line(el, {series:[{name, points:[[ts, v], ...]}], unit, yMin?, yMax?, limits?:[{value, label}], height?})
  function line(target, opts) {
    var node = host(target);
    var series = (opts && opts.series) || [];
    var W = Math.max(240, node.clientWidth || 600), H = (opts && opts.height) || 220;
    var L = 48, R = 12, T = opts && opts.unit ? 26 : 12, B = 24;
    var xs = [], ys = [];
    series.forEach(function (s) { (s.points || []).forEach(function (p) { if (isFinite(p[1])) { xs.push(p[0]); ys.push(p[1]); } }); });
    (opts.limits || []).forEach(function (l) { ys.push(l.value); });
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' }, node);
    if (!xs.length) {
      text(svg, W / 2, H / 2, state.lang === 'en' ? 'No data' : '暂无数据', 'middle');
      return svg;
    }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var oneX = x0 === x1;  // a single time: one label in the middle, not five equal ones
    if (oneX) { x0 -= 1; x1 += 1; }
    var yT = niceTicks(opts.yMin !== undefined ? opts.yMin : Math.min.apply(null, ys), opts.yMax !== undefined ? opts.yMax : Math.max.apply(null, ys), 4);
    var y0 = opts.yMin !== undefined ? opts.yMin : yT[0], y1 = opts.yMax !== undefined ? opts.yMax : yT[yT.length - 1];
    if (y0 === y1) y1 = y0 + 1;
    var sx = function (v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
    var sy = function (v) { return T + (1 - (v - y0) / (y1 - y0)) * (H - T - B); };
    yT.forEach(function (v) {
      if (v < y0 || v > y1) return;
      el('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: 'kw-gridline' }, svg);
      text(svg, L - 6, sy(v) + 4, fmtNumber(v, 2), 'end');
    });
    if (opts.unit) text(svg, 4, 12, opts.unit);
    el('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'kw-axis' }, svg);
    for (var i = oneX ? 2 : 0; i <= (oneX ? 2 : 4); i++) {
      var xv = x0 + (x1 - x0) * i / 4;
      text(svg, sx(xv), H - 6, xv > 1e11 ? shortTime(xv, x1 - x0) : fmtNumber(xv, 1), i === 0 ? 'start' : i === 4 ? 'end' : 'middle');
    }
    (opts.limits || []).forEach(function (l) {
      el('line', { x1: L, x2: W - R, y1: sy(l.value), y2: sy(l.value), stroke: 'var(--kw-bad)', 'stroke-dasharray': '4 3' }, svg);
      if (l.label) text(svg, W - R - 2, sy(l.value) - 3, l.label, 'end').setAttribute('style', 'fill:var(--kw-bad)');
    });
    series.forEach(function (s, k) {
      var pts = (s.points || []).filter(function (p) { return isFinite(p[1]); });
      if (!pts.length) return;
      if (pts.length === 1) {
        el('circle', { cx: sx(pts[0][0]), cy: sy(pts[0][1]), r: 3, fill: PALETTE[k % PALETTE.length] }, svg);
        return;
      }
      var d = pts.map(function (p, j) { return (j ? 'L' : 'M') + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1); }).join('');
      el('path', { d: d, fill: 'none', stroke: PALETTE[k % PALETTE.length], 'stroke-width': 1.8, 'stroke-linejoin': 'round' }, svg);
    });
    legend(node, series.map(function (s) { return s.name || ''; }));
    return svg;
  }

  // bar(el, {categories:[...], series:[{name, values:[...]}], unit?, height?})
  function bar(target, opts) {
    var node = host(target);
    var cats = (opts && opts.categories) || [];
    var series = (opts && opts.series) || [];
    var W = Math.max(240, node.clientWidth || 600), H = (opts && opts.height) || 220;
    var L = 48, R = 12, T = opts && opts.unit ? 26 : 12, B = 28;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' }, node);
    var all = [0];
    series.forEach(function (s) { (s.values || []).forEach(function (v) { if (isFinite(v)) all.push(v); }); });
    if (!cats.length) {
      text(svg, W / 2, H / 2, state.lang === 'en' ? 'No data' : '暂无数据', 'middle');
      return svg;
    }
    var ticks = niceTicks(Math.min.apply(null, all), Math.max.apply(null, all), 4);
    var y0 = ticks[0], y1 = ticks[ticks.length - 1];
    if (y0 === y1) y1 = y0 + 1;
    var sy = function (v) { return T + (1 - (v - y0) / (y1 - y0)) * (H - T - B); };
    ticks.forEach(function (v) {
      el('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: 'kw-gridline' }, svg);
      text(svg, L - 6, sy(v) + 4, fmtNumber(v, 2), 'end');
    });
    if (opts.unit) text(svg, 4, 12, opts.unit);
    var band = (W - L - R) / cats.length;
    var labelWidth = function (c) { return String(c).split('').reduce(function (w, ch) { return w + (ch.charCodeAt(0) > 0x2e80 ? 11 : 6.5); }, 0); };
    var longest = cats.reduce(function (m, c) { return Math.max(m, labelWidth(c)); }, 0);
    var every = Math.max(1, Math.ceil((longest + 8) / band)); // thin the labels so they never overlap
    var n = Math.max(1, series.length);
    var bw = Math.min(56, Math.max(2, band * 0.7 / n));
    cats.forEach(function (c, i) {
      var bx = L + band * i + (band - bw * n) / 2;
      series.forEach(function (s, k) {
        var v = (s.values || [])[i];
        if (!isFinite(v)) return;
        var top = sy(Math.max(v, 0)), bottom = sy(Math.min(v, 0));
        var r = el('rect', { x: bx + k * bw, y: top, width: bw - 1, height: Math.max(1, bottom - top), fill: PALETTE[k % PALETTE.length], rx: 2 }, svg);
        el('title', {}, r).textContent = (s.name ? s.name + ' ' : '') + c + ': ' + fmtNumber(v, 2);
      });
      if (i % every === 0) text(svg, L + band * i + band / 2, H - 8, String(c), 'middle');
    });
    el('line', { x1: L, x2: W - R, y1: sy(0), y2: sy(0), class: 'kw-axis' }, svg);
    legend(node, series.map(function (s) { return s.name || ''; }));
    return svg;
  }

  // ---- auto-resize ----------------------------------------------------------------------------
  var lastHeight = 0;
  function reportHeight() {
    var h = Math.ceil(document.documentElement.scrollHeight);
    if (Math.abs(h - lastHeight) > 2) { lastHeight = h; post({ kaiwu: 'resize', height: h }); }
  }
  function watchSize() {
    if (typeof ResizeObserver === 'function') new ResizeObserver(reportHeight).observe(document.documentElement);
    reportHeight();
  }

  var style = document.createElement('style');
  style.id = 'kaiwu-sdk-css';
  style.textContent = CSS;
  (document.head || document.documentElement).appendChild(style);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watchSize); else watchSize();

  window.kaiwu = {
    __sdk: 1,
    ready: function () {
      return new Promise(function (resolve) { if (initialised) resolve(snapshot()); else readyWaiters.push(resolve); });
    },
    onChange: function (cb) {
      changeListeners.push(cb);
      return function () { changeListeners = changeListeners.filter(function (x) { return x !== cb; }); };
    },
    t: function (zh, en) { return state.lang === 'en' ? (en === undefined ? zh : en) : zh; },
    call: function (fn, input) {
      var id = nextId++;
      return new Promise(function (resolve, reject) {
        pending[id] = { resolve: resolve, reject: reject };
        post({ kaiwu: 'call', id: id, fn: String(fn), input: input === undefined ? {} : input });
      });
    },
    download: function (fileId) { post({ kaiwu: 'download', fileId: String(fileId) }); },
    chart: { line: line, bar: bar },
    fmt: { number: fmtNumber, time: fmtTime },
    get lang() { return state.lang; },
    get theme() { return state.theme; },
  };
})();
