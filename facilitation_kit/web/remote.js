/* The facilitator's remote (docs/facilitators.md, "A remote on your phone"): next,
 * previous, open, close, the timer, approving held contributions and blanking the room's
 * screen, from the facilitator's phone.
 *
 * The pairing link (/remote#token=…, a QR code in the terminal app) carries the remote
 * token in its fragment, so it never goes to the server in a request line. The page is a
 * client of the facilitator channel (/ws/facilitator, docs/protocol.md): it authenticates
 * with the remote token, keeps a copy of the tables it needs (the `state` answer, then
 * every `ops` event) and sends the channel's commands. After a drop it reconnects by
 * itself; a refused or revoked token (4003) is said in words and not retried.
 *
 * Everything from the host is shown with textContent. No library, no other origin.
 */
(function () {
  "use strict";

  var LP = window.LinkPage;
  var $ = LP.$, setText = LP.setText;
  var LANGUAGES = ["en", "fi", "sv", "nl", "es", "pl", "it", "de"];
  var MAX_HELD = 30;  // shown at once; the rest are counted
  var strings = {};
  var english = {};
  var token = LP.tokenFromLink();
  var link = null;
  var refs = 0;
  var pending = {};
  var renderTimer = null;
  var problemTimer = null;
  var heldShown = null;
  var m = freshModel();

  function freshModel() {
    return { title: "", activity: null, agenda: [], ready: false,
             session: {}, screen: {}, activities: {}, contributions: {} };
  }

  function t(key, vars) { return LP.format(strings[key] || english[key] || key, vars); }

  // -- words --------------------------------------------------------------------------
  function language() {
    var wanted = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || "en"];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (LANGUAGES.indexOf(code) >= 0) { return code; }
    }
    return "en";
  }

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () {
      var data = null;
      try { data = xhr.status === 200 ? JSON.parse(xhr.responseText) : null; } catch (e) { data = null; }
      done(data && typeof data === "object" ? data : null);
    };
    xhr.onerror = function () { done(null); };
    xhr.send();
  }

  function loadWords(done) {
    var code = language();
    getJSON("/static/remote-i18n/en.json", function (en) {
      english = en || {};
      if (code === "en") { strings = english; finish(); return; }
      getJSON("/static/remote-i18n/" + code + ".json", function (data) {
        if (data) { strings = data; } else { strings = english; code = "en"; }
        finish();
      });
    });
    function finish() {
      document.documentElement.lang = code;
      var nodes = document.querySelectorAll("[data-i18n]");
      for (var i = 0; i < nodes.length; i++) { nodes[i].textContent = t(nodes[i].getAttribute("data-i18n")); }
      done();
    }
  }

  // -- connection ---------------------------------------------------------------------
  function status(state) {
    var el = $("conn");
    el.setAttribute("data-state", state);
    el.textContent = t("conn_" + state);
  }

  function onRevoked() {  // a wrong or revoked remote token: say so, do not retry
    pending = {};
    showMessage(t("revoked"));
    status("off");
  }

  function onDown() {
    pending = {};
    status("reconnecting");
  }

  // Every 20 s the page asks for the agenda, so a socket that only looks open is noticed.
  function probe() {
    if (!m.ready) { return false; }
    request("agenda", {}, function (ok) { if (ok.agenda) { m.agenda = ok.agenda; } });
    return true;
  }

  function request(type, fields, done, failed) {
    refs += 1;
    var frame = { type: type, ref: refs };
    Object.keys(fields || {}).forEach(function (k) { frame[k] = fields[k]; });
    if (!link.send(frame)) { problem(t("not_connected")); return; }
    pending[refs] = { done: done, failed: failed };
  }

  // A button's command: an error is said in words.
  function command(type, fields) {
    request(type, fields, null, function (err) {
      problem(t("failed", { message: err.message || err.code || "" }));
    });
  }

  // -- the host's frames -------------------------------------------------------------
  function handle(f) {
    if (f.type === "authed") {
      link.connected();
      m = freshModel();
      heldShown = null;
      m.title = (f.session && f.session.title) || "";
      m.activity = f.activity || null;
      status("on");
      request("agenda", {}, function (ok) { m.agenda = ok.agenda || []; schedule(); });
      request("state", {}, function (ok) { takeState(ok.state || {}); });
      return;
    }
    if ((f.type === "ok" || f.type === "error") && f.ref != null && pending[f.ref]) {
      var waiting = pending[f.ref];
      delete pending[f.ref];
      if (f.type === "ok" && waiting.done) { waiting.done(f); }
      if (f.type === "error" && waiting.failed) { waiting.failed(f); }
      schedule();
      return;
    }
    if (f.type === "ops") {
      if (m.ready && Array.isArray(f.ops)) { f.ops.forEach(apply); schedule(); }
    } else if (f.type === "activity") {
      m.activity = f.activity || null;
      schedule();
    } else if (f.type === "activity_state") {
      if (f.activity && f.state) { m.activities[f.activity] = f.state; schedule(); }
    } else if (f.type === "screen") {
      m.screen = f.screen || {};
      schedule();
    } else if (f.type === "error") {
      problem(t("failed", { message: f.message || f.code || "" }));
    }
  }

  function takeState(state) {
    m.session = state.session || {};
    m.screen = withoutToken(state.screen || {});
    m.activities = state.activities || {};
    m.contributions = {};
    (state.contributions || []).forEach(function (c) { m.contributions[c.participant + "/" + c.id] = c; });
    m.ready = true;
    showRemote();
    schedule();
  }

  function withoutToken(settings) {
    var out = {};
    Object.keys(settings).forEach(function (k) { if (k !== "token") { out[k] = settings[k]; } });
    return out;
  }

  function apply(op) {  // ["put", TABLE, KEY, ROW] or ["delete", TABLE, KEY]
    if (!Array.isArray(op) || op.length < 3) { return; }
    var put = op[0] === "put";
    var table = op[1];
    var key = op[2];
    var row = op[3];
    if (table === "session") {
      if (key === "session" && put) { m.session = row || {}; }
      if (key === "screen") { m.screen = put ? withoutToken(row || {}) : {}; }
    } else if (table === "activities") {
      if (put) { m.activities[key] = row; } else { delete m.activities[key]; }
    } else if (table === "contributions") {
      if (put) { m.contributions[key] = row; } else { delete m.contributions[key]; }
    }
  }

  // -- drawing ------------------------------------------------------------------------
  function showMessage(text) {
    setText("message-h", text);
    $("v-message").hidden = false;
    $("v-remote").hidden = true;
  }

  function showRemote() {
    $("v-message").hidden = true;
    $("v-remote").hidden = false;
  }

  function schedule() {
    if (!renderTimer) { renderTimer = window.setTimeout(function () { renderTimer = null; render(); }, 30); }
  }

  function currentId() {
    return m.session.current || (m.activity && m.activity.id) || null;
  }

  function render() {
    if (!m.ready) { return; }
    var id = currentId();
    var st = m.activities[id] || {};
    var index = -1;
    for (var i = 0; i < m.agenda.length; i++) { if (m.agenda[i].id === id) { index = i; } }
    var title = (m.activity && m.activity.id === id && m.activity.title) || (index >= 0 ? m.agenda[index].title : "");
    document.title = t("page_title") + " · " + (m.title || "");
    setText("workshop", m.title);
    setText("act-h", id ? title : t("no_activity"));
    setText("act-pos", index >= 0 ? t("position", { n: index + 1, total: m.agenda.length }) : "");
    var state = st.state || "pending";
    setText("act-state", t("state_" + state));
    $("act-state").setAttribute("data-state", state);
    $("b-previous").disabled = !id || index === 0;
    $("b-next").disabled = !id || (index >= 0 && index === m.agenda.length - 1);
    $("b-open").disabled = !id || state === "open";
    $("b-close").disabled = !id || state !== "open";
    renderTimerText(st);
    var running = !!st.ends_at;
    var paused = st.paused_remaining != null;
    setText("b-pause", paused ? t("resume") : t("pause"));
    $("b-pause").disabled = !running && !paused;
    $("b-clear").disabled = !running && !paused;
    $("b-add").disabled = !id;
    $("b-start").disabled = !id;
    renderHeld(id, st);
    var blank = m.screen.view === "blank";
    setText("screen-state", blank ? t("screen_blank") : t("screen_on"));
    setText("b-blank", blank ? t("unblank") : t("blank"));
    $("b-blank").setAttribute("aria-pressed", blank ? "true" : "false");
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var min = Math.floor(seconds / 60);
    var sec = seconds % 60;
    return min + ":" + (sec < 10 ? "0" : "") + sec;
  }

  function renderTimerText(st) {
    if (st.paused_remaining != null) { setText("timer-text", t("timer_paused", { time: clock(st.paused_remaining) })); }
    else if (st.ends_at) {
      var left = st.ends_at - Date.now() / 1000;
      setText("timer-text", left > 0 ? t("time_left", { time: clock(left) }) : t("time_up"));
    } else { setText("timer-text", t("no_timer")); }
  }

  function tick() {
    if (m.ready) { renderTimerText(m.activities[currentId()] || {}); }
  }

  // A contribution in words: each answer of the form, with its labels where it has them.
  function describe(c) {
    var data = c.data || {};
    var form = (m.activity && m.activity.id === c.activity && m.activity.form && m.activity.form.fields) || [];
    var byName = {};
    form.forEach(function (f) { byName[f.name] = f; });
    var names = form.length ? form.map(function (f) { return f.name; }) : Object.keys(data);
    var parts = [];
    names.forEach(function (name) {
      if (!(name in data) || data[name] == null || data[name] === "") { return; }
      var field = byName[name] || {};
      var text = valueText(field, data[name]);
      if (text) { parts.push(field.kind === "text" || !field.label ? text : field.label + ": " + text); }
    });
    return parts.join(" · ");
  }

  function labelOf(list, value, key) {
    for (var i = 0; i < (list || []).length; i++) { if (list[i][key] === value) { return list[i].label; } }
    return String(value);
  }

  function valueText(field, value) {
    if (typeof value === "string" || typeof value === "number") {
      return field.kind === "choice" ? labelOf(field.options, value, "value") : String(value);
    }
    if (Array.isArray(value)) { return value.map(function (v) { return valueText(field, v); }).join(", "); }
    if (value && typeof value === "object") {
      return Object.keys(value).map(function (k) {
        var v = value[k];
        if (field.kind === "vote") { return labelOf(field.items, k, "id") + ": " + v; }
        if (field.kind === "matrix") { return labelOf(field.rows, k, "id") + ": " + labelOf(field.columns, v, "value"); }
        return k + ": " + (typeof v === "object" ? JSON.stringify(v) : String(v));
      }).join(", ");
    }
    return value == null ? "" : String(value);
  }

  function renderHeld(id, st) {
    var held = [];
    Object.keys(m.contributions).forEach(function (key) {
      var c = m.contributions[key];
      if (c && c.activity === id && c.held && c.hidden && !c.withdrawn) { held.push(c); }
    });
    held.sort(function (a, b) { return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0; });
    setText("held-h", t("held_title", { n: held.length }));
    setText("held-mode", st.moderated ? t("moderation_on") : t("moderation_off"));
    setText("b-moderate", st.moderated ? t("moderation_turn_off") : t("moderation_turn_on"));
    $("b-moderate").disabled = !id;
    $("held-more").hidden = held.length <= MAX_HELD;
    setText("held-more", t("held_more", { n: held.length - MAX_HELD }));
    // rebuilt only when the held ones change, so a focused button stays put meanwhile
    var sig = held.map(function (c) { return c.participant + "/" + c.id; }).join("|") + "#" + id +
      "#" + ((m.activity && m.activity.id) || "");
    if (sig === heldShown) { return; }
    heldShown = sig;
    var list = $("held-list");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    held.slice(0, MAX_HELD).forEach(function (c, i) {
      var li = document.createElement("li");
      var text = document.createElement("p");
      text.className = "held-text";
      text.id = "held-" + i;
      text.textContent = describe(c) || t("empty_answer");
      li.appendChild(text);
      var row = document.createElement("div");
      row.className = "row two";
      row.appendChild(heldButton("approve", "unhide", c, text.id));
      row.appendChild(heldButton("hide", "hide", c, text.id));
      li.appendChild(row);
      list.appendChild(li);
    });
  }

  function heldButton(word, commandName, c, describedBy) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "held-" + word;
    b.textContent = t(word);
    b.setAttribute("aria-describedby", describedBy);
    b.addEventListener("click", function () {
      b.disabled = true;
      command(commandName, { participant: c.participant, contribution: c.id });
    });
    return b;
  }

  function problem(text) {
    setText("problem", text);
    $("problem").hidden = false;
    window.clearTimeout(problemTimer);
    problemTimer = window.setTimeout(function () { $("problem").hidden = true; }, 8000);
  }

  // -- buttons ------------------------------------------------------------------------
  function wire() {
    $("b-next").addEventListener("click", function () { command("next"); });
    $("b-previous").addEventListener("click", function () { command("previous"); });
    $("b-open").addEventListener("click", function () { command("open"); });
    $("b-close").addEventListener("click", function () { command("close"); });
    $("b-start").addEventListener("click", function () {
      var minutes = Number($("minutes").value);
      if (!(minutes >= 1 && minutes <= 600)) { problem(t("minutes_range")); $("minutes").focus(); return; }
      command("timer", { seconds: Math.round(minutes * 60), close_at_end: $("close-at-end").checked });
    });
    $("b-pause").addEventListener("click", function () {
      var st = m.activities[currentId()] || {};
      command(st.paused_remaining != null ? "resume_timer" : "pause_timer");
    });
    $("b-add").addEventListener("click", function () { command("add_time", { seconds: 60 }); });
    $("b-clear").addEventListener("click", function () { command("timer", { seconds: null }); });
    $("b-moderate").addEventListener("click", function () {
      var id = currentId();
      if (id) { command("moderate", { activity: id, moderated: !(m.activities[id] || {}).moderated }); }
    });
    $("b-blank").addEventListener("click", function () { command("screen", { view: "toggle_blank" }); });
  }

  function start() {
    loadWords(function () {
      if (!token) { showMessage(t("bad_link")); status("off"); return; }
      showMessage(t("conn_connecting"));
      wire();
      link = LP.socket({ path: "/ws/facilitator", token: token, onFrame: handle, onRevoked: onRevoked,
                         onDown: onDown, probe: probe, probeEvery: 20000,
                         onConnecting: function (attempt) { status(attempt ? "reconnecting" : "connecting"); } });
      link.start();
      window.setInterval(tick, 500);
    });
  }

  start();
}());
