/* The room's screen (docs/screen.md): a read-only view of the workshop for a projector,
 * a second display or a smart TV.
 *
 * The link carries the screen token in its fragment (/screen#token=…), so it never goes
 * to the server in a request line. The page opens /ws/screen, authenticates with the
 * token, and draws every "screen" frame the host sends (a whole picture each time, so a
 * frame lost in a reconnect costs nothing). After a drop it reconnects by itself with
 * backoff; a closed link (4003) is said in words and not retried.
 *
 * Everything from the host is shown with textContent; a plugin's SVG chart only as an
 * <img> (an image cannot run script or fetch anything). No library, no other origin.
 */
(function () {
  "use strict";

  var LP = window.LinkPage;
  var $ = LP.$, setText = LP.setText;
  var strings = {};
  var state = null;
  var clockOffset = 0;  // host time minus our time, ms
  var token = LP.tokenFromLink();
  var link = null;

  var FALLBACK = {  // before the host sent the words: English
    connecting: "Connecting to the workshop…",
    reconnecting: "Connection lost. Reconnecting…",
    revoked: "This screen link no longer works. Ask the facilitator for the new screen link.",
    bad_link: "This address has no screen key. Open the screen link from the facilitator's app."
  };

  function t(key, vars) { return LP.format(strings[key] || FALLBACK[key] || key, vars); }

  // -- connection ---------------------------------------------------------------------
  function status(text) {
    setText("conn", text || "");
    $("conn").hidden = !text;
  }

  function onFrame(frame) {
    if (frame.type !== "screen") { return; }
    link.connected();
    status("");
    if (frame.strings) { strings = frame.strings; }
    clockOffset = (typeof frame.now === "number") ? frame.now - Date.now() : 0;
    state = frame;
    render();
  }

  function onRevoked() {
    state = null;
    showMessage(t("revoked"));
    status("");
  }

  // -- drawing ------------------------------------------------------------------------
  var VIEWS = ["connecting", "lobby", "activity", "highlight", "blank"];

  function show(view) {
    VIEWS.forEach(function (v) { $("v-" + v).hidden = v !== view; });
    $("main").setAttribute("data-view", view);
  }

  function showMessage(text) {
    setText("connecting-h", text);
    show("connecting");
    $("corner").hidden = true;
  }

  function render() {
    var s = state;
    document.documentElement.lang = s.language || "en";
    document.documentElement.dir = strings._dir === "rtl" ? "rtl" : "ltr";
    document.title = t("page_title") + " · " + (s.title || "");
    setText("connecting-h", t("connecting"));  // the English word shown before the host's words came
    var join = s.join || {};
    $("lobby-qr").src = join.qr || "";
    $("corner-qr").src = join.qr || "";
    $("lobby-qr").alt = t("qr_alt");
    $("corner-qr").alt = t("qr_alt");
    setText("corner-code-label", t("room_code"));
    setText("corner-code", s.room);
    $("corner").setAttribute("aria-label", t("join_on_phone"));
    $("corner").hidden = s.view === "lobby";
    if (s.view === "lobby") { renderLobby(s, join); }
    else if (s.view === "blank") { setText("blank-h", t("paused")); show("blank"); }
    else if (s.view === "highlight") { renderHighlight(s); }
    else { renderActivity(s); }
    tick();
  }

  function renderLobby(s, join) {
    setText("lobby-title", s.title);
    setText("lobby-join", t("join_on_phone"));
    setText("lobby-scan", t("scan_or_open"));
    setText("lobby-url", join.url);
    setText("lobby-code-label", t("room_code"));
    setText("lobby-code", s.room);
    setText("lobby-joined-label", t("joined"));
    setText("lobby-joined", s.joined);
    var next = s.activity;
    $("lobby-next").hidden = !next;
    if (next) {
      setText("lobby-next-label", t("coming_up"));
      setText("lobby-next-title", next.title);
    }
    show("lobby");
  }

  function renderActivity(s) {
    var a = s.activity || {};
    var results = s.view === "results";
    var themes = s.view === "themes";
    $("v-activity").classList.toggle("results", results || themes);
    setText("act-title", results ? t("results_of", { title: a.title }) : themes ? t("themes_of", { title: a.title }) : a.title);
    setText("act-prompt", a.prompt);
    $("act-prompt").hidden = results || themes;
    // a break or an input (docs/agenda.md): no answers, so no count; a break says when it ends
    var step = a.kind === "break" ? (a.until ? t("break_until", { time: a.until }) : t("break_soon"))
      : a.kind === "input" ? t("input_text") : "";
    setText("act-state", step || (a.state === "open" ? t("answer_on_phone") : t("answers_closed")));
    $("act-answered").parentNode.hidden = !!step;
    setText("act-answered-label", t("answered"));
    setText("act-answered", a.answered);
    var note = "";
    if (themes) {
      note = (s.themes || []).length ? "" : t("no_themes");
      setText("act-note", note);
      $("act-note").hidden = !note;
      drawThemes($("act-blocks"), s.themes || [], s.themes_more || 0);
      show("activity");
      return;
    }
    if (s.results === "hidden") { note = t("results_later"); }
    else if (results && s.results === "none") { note = t("no_results_view"); }
    else if (s.results === "shown" && (!s.blocks || !s.blocks.length)) { note = t("nothing_yet"); }
    setText("act-note", note);
    $("act-note").hidden = !note;
    drawBlocks($("act-blocks"), s.results === "shown" ? (s.blocks || []) : []);
    show("activity");
  }

  function renderHighlight(s) {
    setText("hl-title", (s.activity || {}).title);
    var h = s.highlight || {};
    setText("hl-text", h.text);
    $("hl-role").hidden = !h.role;
    setText("hl-role", h.role ? t("role", { role: h.role }) : "");
    show("highlight");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text != null) { node.textContent = String(text); }
    return node;
  }

  function quote(block) {
    var fig = el("figure", "card");
    fig.appendChild(el("blockquote", null, block.text));
    if (block.role) { fig.appendChild(el("figcaption", null, t("role", { role: block.role }))); }
    return fig;
  }

  function drawBlocks(root, blocks) {
    var out = document.createDocumentFragment();
    var wall = null;
    blocks.forEach(function (b) {
      if (b.block === "quote") {
        if (!wall) { wall = el("ul", "wall"); out.appendChild(wall); }
        var li = el("li");
        li.appendChild(quote(b));
        wall.appendChild(li);
        return;
      }
      wall = null;
      if (b.block === "heading") { out.appendChild(el("h2", null, b.text)); }
      else if (b.block === "paragraph") { out.appendChild(el("p", "para", b.text)); }
      else if (b.block === "bulletlist") {
        var ul = el("ul", "bullets");
        (b.items || []).forEach(function (i) { ul.appendChild(el("li", null, i)); });
        out.appendChild(ul);
      } else if (b.block === "table") {
        var table = el("table");
        if (b.caption) { table.appendChild(el("caption", null, b.caption)); }
        var head = el("tr");
        (b.columns || []).forEach(function (c) {
          var th = el("th", null, c);
          th.setAttribute("scope", "col");
          head.appendChild(th);
        });
        var thead = el("thead");
        thead.appendChild(head);
        table.appendChild(thead);
        var tbody = el("tbody");
        (b.rows || []).forEach(function (row) {
          var tr = el("tr");
          row.forEach(function (v) { tr.appendChild(el("td", null, v)); });
          tbody.appendChild(tr);
        });
        table.appendChild(tbody);
        out.appendChild(table);
      } else if (b.block === "chart") {
        var fig = el("figure", "chart");
        var img = el("img");
        img.alt = b.alt || "";
        img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(b.svg || "");
        fig.appendChild(img);
        if (b.caption) { fig.appendChild(el("figcaption", null, b.caption)); }
        out.appendChild(fig);
      }
    });
    while (root.firstChild) { root.removeChild(root.firstChild); }  // no replaceChildren on older TVs
    root.appendChild(out);
  }

  // The confirmed themes as large tiles: label, how many contributions, a starred quote.
  function drawThemes(root, themes, more) {
    var out = document.createDocumentFragment();
    var list = el("ol", "themes");
    list.setAttribute("data-count", String(themes.length));
    themes.forEach(function (theme) {
      var li = el("li", "theme");
      li.appendChild(el("h2", "theme-label", theme.label));
      var count = el("p", "theme-count");
      count.appendChild(el("span", "label", t("theme_count")));
      count.appendChild(document.createTextNode(" "));
      count.appendChild(el("span", "count", theme.count));
      li.appendChild(count);
      if (theme.quote) { li.appendChild(el("blockquote", "theme-quote", theme.quote)); }
      if (theme.roles && theme.roles.length) {
        var roles = el("p", "theme-roles");
        roles.textContent = theme.roles.map(function (r) { return r.role + ": " + r.count; }).join(" · ");
        li.appendChild(roles);
      }
      list.appendChild(li);
    });
    if (themes.length) { out.appendChild(list); }
    if (more) { out.appendChild(el("p", "para", t("themes_more", { count: more }))); }
    while (root.firstChild) { root.removeChild(root.firstChild); }
    root.appendChild(out);
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var a = state && state.activity;
    var wrap = $("act-timer-wrap");
    if (!a || a.state !== "open" || (a.ends_at == null && a.paused_remaining == null)) {
      wrap.hidden = true;
      return;
    }
    wrap.hidden = false;
    if (a.paused_remaining != null) {
      setText("act-timer-label", t("timer_paused"));
      setText("act-timer", clock(a.paused_remaining));
      return;
    }
    var left = (a.ends_at - (Date.now() + clockOffset)) / 1000;
    setText("act-timer-label", left > 0 ? t("time_left") : t("time_up"));
    setText("act-timer", clock(left));
  }

  function start() {
    if (!token) { showMessage(t("bad_link")); return; }
    showMessage(t("connecting"));
    // A lost connection is said on the screen; every 15 s the page asks for the picture
    // again, so a socket that only looks open is noticed.
    link = LP.socket({ path: "/ws/screen", token: token, onFrame: onFrame, onRevoked: onRevoked,
                       onDown: function () { status(t("reconnecting")); },
                       probe: function (sock) { return sock.send({ type: "sync" }); }, probeEvery: 15000 });
    link.start();
    window.setInterval(tick, 250);
  }

  start();
}());
