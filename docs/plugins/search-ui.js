// The search of mnemo's documentation site (copied to assets/mnemo-search.js).
//
// It answers typedoc's search box from window.mnemoSearchData (written by
// search.mjs, loaded the first time the search opens), in place of typedoc's
// own full-text search: exact names first, then names that start with the
// query, then guides and their sections whose titles hold every word, then
// names holding every word, then summaries; internals after all of them. Each result shows
// its kind, category and summary. typedoc's keyboard handling (arrows, Enter)
// works on these results as on its own.
(function () {
  'use strict';
  var MAX_RESULTS = 50;
  var SECTION = 0;
  var KIND_NAMES = {
    0: 'Section', 2: 'Module', 4: 'Namespace', 8: 'Enum', 16: 'Enum member', 32: 'Variable', 64: 'Function', 128: 'Class',
    256: 'Interface', 512: 'Constructor', 1024: 'Property', 2048: 'Method', 262144: 'Accessor', 2097152: 'Type', 8388608: 'Guide',
  };
  var generation = 0;
  var loading = false;
  var waiting = [];

  function base() {
    var b = document.documentElement.dataset.base || './';
    return b.endsWith('/') ? b : b + '/';
  }

  /** Loads the index once; calls each `then` when it is there. */
  function load(then) {
    if (window.mnemoSearchData) return then();
    waiting.push(then);
    if (loading) return;
    loading = true;
    var s = document.createElement('script');
    s.src = base() + 'assets/mnemo-search-data.js';
    s.onload = function () {
      waiting.splice(0).forEach(function (f) {
        f();
      });
    };
    document.head.appendChild(s);
  }

  /** Lower-case words of a name or title: `lstmCell` -> lstm, cell; `LSTM_VARIANTS` -> lstm, variants. */
  function wordsOf(text) {
    return text
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean);
  }

  /** A query word without its plural or -y ending, so that "family" finds "families". */
  function stem(word) {
    return word.length > 3 ? word.replace(/(ies|es|s|y)$/, '') : word;
  }

  function allIn(terms, words) {
    return terms.every(function (t) {
      var st = stem(t);
      return words.some(function (w) {
        return w.startsWith(st);
      });
    });
  }

  function score(e, q, terms) {
    var name = e.n.toLowerCase();
    var s = 0;
    var guide = e.k === SECTION || e.k === 8388608;
    // A guide or section whose title holds the query comes right after the
    // exports whose names start with it: "lstm" gives lstmCell, then the guide.
    if (guide && allIn(terms, wordsOf(e.n))) s = name === q ? 590 : 580;
    else if (name === q) s = 1000;
    else if (name.startsWith(q)) s = 600 - 2 * Math.min(100, name.length - q.length);
    else if (allIn(terms, wordsOf(e.n))) s = 400 - 2 * Math.min(100, name.length - q.length);
    else if (name.indexOf(q) >= 0) s = 300 - 2 * Math.min(100, name.length - q.length);
    else if (allIn(terms, wordsOf(e.n + ' ' + (e.p || '') + ' ' + (e.c || '') + ' ' + (e.s || '')))) s = 100;
    return s * e.w;
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  /** The text with each query word marked. */
  function highlight(text, terms) {
    var html = escapeHtml(text);
    var words = terms.map(stem).filter(function (t) {
      return t.length > 0;
    });
    if (words.length === 0) return html;
    var re = new RegExp('(' + words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }).join('|') + ')', 'gi');
    return html.replace(re, '<mark>$1</mark>');
  }

  function search(query) {
    var q = query.trim().toLowerCase();
    var terms = q.split(/\s+/).filter(Boolean);
    var scored = [];
    var data = window.mnemoSearchData || [];
    for (var i = 0; i < data.length; i++) {
      var s = score(data[i], q, terms);
      if (s > 0) scored.push({ e: data[i], s: s });
    }
    // Internals (kernels, the compiler's formats) come after every result for
    // users, whatever their score: they are not listed beside user-facing functions.
    scored.sort(function (a, b) {
      return (a.e.i ? 1 : 0) - (b.e.i ? 1 : 0) || b.s - a.s || a.e.n.length - b.e.n.length || (a.e.n < b.e.n ? -1 : a.e.n > b.e.n ? 1 : 0);
    });
    return { total: scored.length, top: scored.slice(0, MAX_RESULTS), terms: terms };
  }

  function render(field, results, status) {
    generation += 1;
    results.innerHTML = '';
    status.innerHTML = '';
    var query = field.value.trim();
    if (!query) return;
    if (!window.mnemoSearchData) {
      status.textContent = 'Loading the search index…';
      load(function () {
        render(field, results, status);
      });
      return;
    }
    var found = search(query);
    if (found.total === 0) {
      status.innerHTML = 'No results for <strong>' + escapeHtml(query) + '</strong>';
      return;
    }
    found.top.forEach(function (r, i) {
      var e = r.e;
      var li = document.createElement('li');
      li.id = 'tsd-search:' + generation + '-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      if (e.i) li.classList.add('mnemo-internal');
      var a = document.createElement('a');
      a.tabIndex = -1;
      a.href = base() + e.u;
      var icon = e.k === SECTION ? 8388608 : e.k;
      var meta = [KIND_NAMES[e.k] || '', e.c || '', e.i ? 'internal' : ''].filter(Boolean).join(' · ');
      a.innerHTML =
        '<svg width="20" height="20" class="tsd-kind-icon" aria-hidden="true"><use href="#icon-' + icon + '"></use></svg>' +
        '<span class="mnemo-search-body"><span class="text">' +
        (e.p ? '<span class="parent">' + escapeHtml(e.p) + (e.k === SECTION ? ' › ' : '.') + '</span>' : '') +
        highlight(e.n, found.terms) +
        '</span> <span class="mnemo-search-meta">' + escapeHtml(meta) + '</span>' +
        (e.s ? '<span class="mnemo-search-summary">' + escapeHtml(e.s) + '</span>' : '') +
        '</span>';
      li.appendChild(a);
      results.appendChild(li);
    });
    if (found.total > found.top.length) {
      var more = document.createElement('div');
      more.className = 'mnemo-search-more';
      more.textContent = 'The first ' + found.top.length + ' of ' + found.total + ' results: type more to narrow them.';
      status.appendChild(more);
    }
  }

  function install() {
    var field = document.getElementById('tsd-search-input');
    var results = document.getElementById('tsd-search-results');
    var status = document.getElementById('tsd-search-status');
    var trigger = document.getElementById('tsd-search-trigger');
    if (!field || !results || !status) return;
    var timer;
    // Capturing on the document runs before typedoc's listener on the field,
    // which then never sees the event: its ten-result search stays silent.
    document.addEventListener(
      'input',
      function (ev) {
        if (ev.target !== field) return;
        ev.stopImmediatePropagation();
        clearTimeout(timer);
        timer = setTimeout(function () {
          render(field, results, status);
        }, 100);
      },
      true,
    );
    var warm = function () {
      load(function () {});
    };
    field.addEventListener('focus', warm);
    if (trigger) trigger.addEventListener('click', warm);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', install);
  else install();
})();
