import Foundation

/// The timeline page's one inline script and its styles: zoom and pan on the time axis,
/// search, a bar segment that opens its model call, and state kept across the live page's
/// reloads. The page works without it (every row still opens); with it, nothing is fetched.
///
/// The view can be given in the address's fragment, `#q=text&from=10&to=25&call=w_…-c4`
/// (seconds since the session's first worker), which is how a view is shared, and how the
/// tests drive the page in a headless browser.
enum HTMLTimelineScript {
    /// The toolbar above the axis; `reloadSeconds` says the page reloads itself that often.
    static func toolbar(reloadSeconds: Int?) -> String {
        """
        <div class="toolbar"><input id="search" type="search" placeholder="Search tasks, results, prompts, completions…" \
        aria-label="search"><span id="matches"></span>
        <span class="zoom"><button id="zoom-out" title="zoom out (-)">−</button><button id="zoom-in" title="zoom in (+)">+</button>\
        <button id="zoom-fit" title="the whole session (0)">fit</button><span id="window">whole session</span></span>
        <span class="hint">Ctrl+wheel zooms, drag the axis or Shift+wheel pans, / searches; click a model call on a bar for its prompt and completion</span>
        \(reloadSeconds.map { "<span class=\"live\">live: this page reloads every \($0)s while workers run</span>" } ?? "")</div>
        """
    }

    static var styles: String {
        """
        .toolbar{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin:0 0 12px;font-size:13px}
        .toolbar input{font:inherit;padding:4px 8px;width:320px;border:1px solid #cbd2d9;border-radius:4px}
        .toolbar button{font:inherit;min-width:32px;padding:2px 8px;border:1px solid #cbd2d9;background:#f5f7fa;border-radius:4px;cursor:pointer}
        .zoom{display:flex;gap:4px;align-items:center}#window{color:#52606d;margin-left:6px}#matches{color:#52606d}
        .hint{color:#9aa5b1;font-size:12px}.live{color:#2f80ed;font-weight:600}
        .track{overflow:hidden}.axis .track{cursor:grab}.seg[data-call]{cursor:pointer}
        .score{display:inline-block;margin-left:6px;padding:0 5px;border-radius:8px;font-size:11px;color:#fff}
        .score.pass{background:#27ae60}.score.fail{background:#eb5757}td.score{text-align:center}
        table.verify{border-collapse:collapse;font-size:12px;margin:4px 0}.verify td,.verify th{padding:2px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
        .verify ul{list-style:none;margin:0;padding:0}.verify li.fail{color:#b42318}
        .calls{font-size:12px;padding-left:20px}.calls summary{display:list-item;cursor:pointer}.calls pre{max-height:240px}
        .call[open]{background:#f9fbfd}.note{color:#7b8794;font-size:12px}h4{margin:6px 0 2px;font-size:12px;color:#52606d}
        [hidden]{display:none!important}
        """
    }

    static var script: String {
        let steps = TimelineLayout.tickSteps.map { String($0) }.joined(separator: ",")
        return """
        (function () {
          var root = document.documentElement, total = +root.dataset.span, steps = [\(steps)];
          var key = 'bosun-timeline:' + root.dataset.session;
          var axis = document.getElementById('axis'), grid = document.getElementById('grid');
          var input = document.getElementById('search'), matches = document.getElementById('matches');
          var windowLabel = document.getElementById('window');
          var rows = Array.prototype.slice.call(document.querySelectorAll('details.worker'));
          var v0 = 0, v1 = total;
          function two(n) { return (n < 10 ? '0' : '') + n; }
          function label(s, step) {
            if (step < 1 && s < 1) return Math.round(s * 1000) + 'ms';
            if (step < 1) return s.toFixed(step < 0.1 ? 2 : 1) + 's';
            var w = Math.round(s);
            if (w < 60) return w + 's';
            if (w < 3600) return w % 60 === 0 ? (w / 60) + 'm' : Math.floor(w / 60) + 'm' + two(w % 60) + 's';
            return w % 3600 === 0 ? (w / 3600) + 'h' : Math.floor(w / 3600) + 'h' + two(Math.floor(w % 3600 / 60)) + 'm';
          }
          function percent(x) { return x.toFixed(3) + '%'; }
          function place() {
            var w = v1 - v0;
            document.querySelectorAll('[data-s]').forEach(function (el) {
              var s = +el.dataset.s, e = +el.dataset.e;
              el.style.left = percent((s - v0) / w * 100);
              el.style.width = percent(Math.max((e - s) / w * 100, el.classList.contains('bar') ? 0.4 : 0));
            });
            var step = steps.filter(function (x) { return w / x <= 8; })[0] || Math.max(w / 8, 1);
            axis.textContent = '';
            grid.textContent = '';
            for (var i = Math.ceil(v0 / step - 1e-9); i * step <= v1 + 1e-9; i++) {
              var tick = document.createElement('span'), line = document.createElement('span');
              tick.className = 'tick';
              tick.style.left = line.style.left = percent((i * step - v0) / w * 100);
              tick.textContent = i === 0 ? '0' : label(i * step, step);
              axis.appendChild(tick);
              grid.appendChild(line);
            }
            windowLabel.textContent = v0 <= 0 && v1 >= total ? 'whole session' : label(v0, step) + ' – ' + label(v1, step);
            save();
          }
          function clamp() {
            var w = Math.min(Math.max(v1 - v0, Math.min(total, 0.005)), total);
            v0 = Math.min(Math.max(v0, 0), total - w);
            v1 = v0 + w;
          }
          function zoom(factor, at) {
            if (at === undefined) at = (v0 + v1) / 2;
            var ratio = (at - v0) / (v1 - v0), w = (v1 - v0) * factor;
            v0 = at - ratio * w;
            v1 = v0 + w;
            clamp();
            place();
          }
          function pan(seconds) { v0 += seconds; v1 += seconds; clamp(); place(); }
          function secondsAt(clientX) {
            var box = axis.getBoundingClientRect();
            return v0 + (clientX - box.left) / box.width * (v1 - v0);
          }
          function search(text) {
            var needle = text.trim().toLowerCase(), shown = 0;
            rows.forEach(function (row) {
              var hit = !needle || row.textContent.toLowerCase().indexOf(needle) >= 0;
              row.hidden = !hit;
              if (hit) shown++;
            });
            document.querySelectorAll('.orchestration').forEach(function (group) {
              group.hidden = !!needle && !group.querySelector('details.worker:not([hidden])');
            });
            matches.textContent = needle ? shown + ' of ' + rows.length + ' workers match' : '';
            save();
          }
          function openCall(id, scroll) {
            var call = document.getElementById(id);
            if (!call) return;
            call.open = true;
            call.closest('details.worker').open = true;
            if (scroll) call.scrollIntoView({ block: 'center' });
            save();
          }
          function save() {
            try {
              var open = Array.prototype.map.call(document.querySelectorAll('details[open]'), function (d) { return d.id; });
              sessionStorage.setItem(key, JSON.stringify({ v0: v0, v1: v1, q: input.value, open: open, y: window.scrollY }));
            } catch (e) { /* storage may be off for files: the view then starts afresh */ }
          }
          function restore() {
            var hash = new URLSearchParams(location.hash.slice(1)), saved = null;
            try { saved = JSON.parse(sessionStorage.getItem(key) || 'null'); } catch (e) { saved = null; }
            if (hash.has('from') || hash.has('to')) {
              v0 = +(hash.get('from') || 0);
              v1 = +(hash.get('to') || total);
            } else if (saved) {
              v0 = saved.v0;
              v1 = saved.v1;
            }
            clamp();
            input.value = hash.get('q') || (saved && saved.q) || '';
            if (saved && !hash.has('q')) saved.open.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
            place();
            search(input.value);
            if (hash.get('call')) openCall(hash.get('call'), true);
            else if (saved) window.scrollTo(0, saved.y);
          }
          input.addEventListener('input', function () { search(input.value); });
          document.getElementById('zoom-in').onclick = function () { zoom(0.5); };
          document.getElementById('zoom-out').onclick = function () { zoom(2); };
          document.getElementById('zoom-fit').onclick = function () { v0 = 0; v1 = total; place(); };
          document.querySelector('main').addEventListener('wheel', function (e) {
            if (e.ctrlKey || e.metaKey || e.altKey) { e.preventDefault(); zoom(e.deltaY > 0 ? 1.25 : 0.8, secondsAt(e.clientX)); }
            else if (e.shiftKey) { e.preventDefault(); pan((e.deltaY || e.deltaX) / axis.getBoundingClientRect().width * (v1 - v0)); }
          }, { passive: false });
          axis.addEventListener('mousedown', function (down) {
            var last = down.clientX;
            function move(e) { pan((last - e.clientX) / axis.getBoundingClientRect().width * (v1 - v0)); last = e.clientX; }
            function up() { document.removeEventListener('mousemove', move); document.removeEventListener('mouseup', up); }
            document.addEventListener('mousemove', move);
            document.addEventListener('mouseup', up);
            down.preventDefault();
          });
          document.addEventListener('click', function (e) {
            var segment = e.target.closest && e.target.closest('.seg[data-call]');
            if (segment) { e.preventDefault(); openCall(segment.dataset.call, true); }
          });
          document.addEventListener('toggle', save, true);
          document.addEventListener('keydown', function (e) {
            if (e.target === input) { if (e.key === 'Escape') input.blur(); return; }
            if (e.key === '/') { e.preventDefault(); input.focus(); }
            else if (e.key === '+' || e.key === '=') zoom(0.5);
            else if (e.key === '-') zoom(2);
            else if (e.key === '0') { v0 = 0; v1 = total; place(); }
            else if (e.key === 'ArrowLeft') pan(-(v1 - v0) / 5);
            else if (e.key === 'ArrowRight') pan((v1 - v0) / 5);
          });
          window.addEventListener('pagehide', save);
          restore();
          root.dataset.ready = 'true';
        })();
        """
    }
}
