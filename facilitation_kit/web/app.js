/* facilitation-kit participant page.
 *
 * Speaks the participant wire protocol v1 (docs/protocol.md) over /ws. No build step,
 * no dependencies, written for old phone browsers (no optional chaining, no modules).
 * Participant and facilitator text only ever reaches the DOM through textContent.
 *
 * Never lose a word: every submission goes into an outbox kept in localStorage with its
 * client id before it is sent, and leaves it only when the host acks it (the host stores
 * a resend once, so replaying the outbox after a reconnect is safe). Typing is kept as a
 * draft per activity, so a reload or a dead battery does not lose it either.
 */
(function () {
  "use strict";

  var PROTOCOL = 1;
  var MAX_IN_FLIGHT = 8;          // outbox frames sent before waiting for acks
  var BACKOFF_BASE = 500;         // ms, doubled per failed attempt, with jitter
  var BACKOFF_MAX = 20000;
  var WATCHDOG_MS = 8000;         // a sync not answered in this long means a dead socket

  // ------------------------------------------------------------------ helpers
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!attrs.hasOwnProperty(k) || attrs[k] === null || attrs[k] === undefined || attrs[k] === false) continue;
        if (k === "text") node.textContent = attrs[k];
        else if (k === "className") node.className = attrs[k];
        else if (k === "hidden") node.hidden = true;
        else if (k === "checked") node.checked = true;
        else if (k === "disabled") node.disabled = true;
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
        else node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var c = children[i];
        if (c === null || c === undefined || c === false) continue;
        node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
      }
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function show(node, yes) { node.hidden = !yes; }
  function chars(s) { return Array.from ? Array.from(s).length : s.length; }
  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function uuid() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* insecure context: fall through */ }
    }
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256) ^ (Date.now() >> (i % 8)) & 255;
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = [];
    for (var j = 0; j < 16; j++) h.push((b[j] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // localStorage can be missing, full or forbidden (private modes): fall back to memory.
  var memory = {};
  var store = {
    get: function (key) {
      var raw = null;
      try { raw = window.localStorage.getItem(key); } catch (e) { raw = null; }
      if (raw === null) raw = memory.hasOwnProperty(key) ? memory[key] : null;
      if (raw === null) return null;
      try { return JSON.parse(raw); } catch (e) { return null; }
    },
    set: function (key, value) {
      var raw = JSON.stringify(value);
      memory[key] = raw;
      try { window.localStorage.setItem(key, raw); } catch (e) { /* kept in memory */ }
    },
    del: function (key) {
      delete memory[key];
      try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    }
  };

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url, true);
    xhr.timeout = 10000;
    xhr.onload = function () {
      var data = null;
      if (xhr.status === 200) { try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; } }
      done(data, xhr);
    };
    xhr.onerror = xhr.ontimeout = function () { done(null, xhr); };
    xhr.send();
  }

  function roomFromUrl() {
    var m = /[?&]room=([^&#]*)/.exec(window.location.search);
    if (!m) return "";
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")).trim(); } catch (e) { return ""; }
  }

  // ------------------------------------------------------------------ i18n
  var i18n = { lang: "en", strings: {}, fallback: null, languages: [], loadingFallback: false };

  function t(key, vars) {
    var s = i18n.strings[key];
    if (typeof s !== "string" && i18n.fallback) s = i18n.fallback[key];
    if (typeof s !== "string") {
      if (!i18n.fallback && !i18n.loadingFallback && i18n.lang !== "en") loadFallback();
      s = key;
    }
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (all, name) {
        return vars.hasOwnProperty(name) ? String(vars[name]) : all;
      });
    }
    return s;
  }

  function loadFallback() {
    i18n.loadingFallback = true;
    getJSON("/static/i18n/en.json", function (data) {
      if (isObj(data)) { i18n.fallback = data; applyStatic(); render(); }
    });
  }

  function pickLanguage(codes) {
    var saved = store.get("fk.lang");
    if (saved && codes.indexOf(saved) >= 0) return saved;
    var wanted = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || "en"];
    for (var i = 0; i < wanted.length; i++) {
      var w = String(wanted[i] || "").toLowerCase();
      if (codes.indexOf(w) >= 0) return w;
      var base = w.split("-")[0];
      if (codes.indexOf(base) >= 0) return base;
    }
    return codes.indexOf("en") >= 0 ? "en" : (codes[0] || "en");
  }

  function setLanguage(code, done) {
    getJSON("/static/i18n/" + encodeURIComponent(code) + ".json", function (data) {
      if (!isObj(data)) {
        if (code !== "en") { setLanguage("en", done); return; }
        // Not even English came (a dropped request): keep the page's built-in English
        // text and try again shortly.
        window.setTimeout(function () { if (!i18n.strings.join_button) setLanguage("en"); }, 3000);
        data = {};
      }
      i18n.lang = code;
      i18n.strings = data;
      document.documentElement.lang = code;
      document.documentElement.dir = data._dir === "rtl" ? "rtl" : "ltr";
      applyStatic();
      fillLanguageSelects();
      render();
      if (done) done();
    });
  }

  function applyStatic() {
    var nodes = document.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) {
      var key = nodes[i].getAttribute("data-i18n");
      var text = t(key);
      if (text !== key) nodes[i].textContent = text;
    }
    if (!app.session) document.title = t("app_name");
  }

  function fillLanguageSelects() {
    var selects = document.querySelectorAll(".lang-select");
    for (var i = 0; i < selects.length; i++) {
      var sel = selects[i];
      clear(sel);
      for (var j = 0; j < i18n.languages.length; j++) {
        var l = i18n.languages[j];
        sel.appendChild(el("option", { value: l.code, lang: l.code, text: l.name }));
      }
      sel.value = i18n.lang;
    }
  }

  function onLanguagePicked(ev) {
    var code = ev.target.value;
    if (code === i18n.lang) return;
    store.set("fk.lang", code);
    setLanguage(code, function () {
      announce(t("language_changed"));
      if (app.participant) {
        app.profile.lang = code;
        saveRoom();
        if (conn.joined) sendFrame({ type: "profile", name: null, role: null, lang: code });
      }
    });
  }

  // ------------------------------------------------------------------ state
  var app = {
    room: "",
    token: null,
    profile: { name: "", role: "", lang: null, dirty: false },
    session: null,          // {title, roles}
    participant: null,
    activity: null,
    mine: [],               // the host's view of my contributions to the current activity
    outbox: [],             // [{kind: "submit"|"withdraw", id, activity, data, at, sent, failed, error}]
    draft: {},              // field name -> value, for the current activity
    draftFor: null,
    fieldErrors: {},        // field name -> text
    formError: "",
    confirming: null,       // id of the contribution whose take-back is being confirmed
    screen: "loading",
    joinError: "",
    roomError: "",
    clockOffset: 0,         // host clock minus phone clock, ms (from the HTTP Date header)
    renderedForm: null
  };

  function roomKey(what) { return "fk." + what + "." + app.room; }

  function loadRoom() {
    var saved = store.get(roomKey("me")) || {};
    app.token = typeof saved.token === "string" ? saved.token : null;
    app.profile = {
      name: typeof saved.name === "string" ? saved.name : "",
      role: typeof saved.role === "string" ? saved.role : "",
      lang: saved.lang || null,
      dirty: !!saved.dirty
    };
    var box = store.get(roomKey("outbox"));
    app.outbox = Array.isArray(box) ? box.filter(function (op) { return op && typeof op.id === "string"; }) : [];
  }

  function saveRoom() {
    store.set(roomKey("me"), { token: app.token, name: app.profile.name, role: app.profile.role,
      lang: app.profile.lang, dirty: app.profile.dirty });
  }
  function saveOutbox() { store.set(roomKey("outbox"), app.outbox); }
  function saveDraft() {
    if (app.draftFor) store.set(roomKey("draft") + "." + app.draftFor, app.draft);
  }

  function findOp(kind, id) {
    for (var i = 0; i < app.outbox.length; i++) {
      if (app.outbox[i].id === id && (!kind || app.outbox[i].kind === kind)) return app.outbox[i];
    }
    return null;
  }
  function dropOps(id, kind) {
    app.outbox = app.outbox.filter(function (op) { return !(op.id === id && (!kind || op.kind === kind)); });
    saveOutbox();
  }

  // ------------------------------------------------------------------ announcements
  var spoken = {};
  function announce(text, progress) { speak("announce", text, progress); }
  function alertText(text) { speak("alert", text, false); }
  function speak(id, text, progress) {
    // Clear first so that the same sentence twice is announced twice; sentences that
    // come together (a new activity that opens at once) are read together, except that
    // a progress note ("Sending…") is dropped when its outcome follows at once.
    var s = spoken[id] || (spoken[id] = { parts: [], timer: null, progress: null });
    if (s.progress !== null && s.parts.indexOf(s.progress) >= 0) s.parts.splice(s.parts.indexOf(s.progress), 1);
    s.progress = null;
    if (s.parts.indexOf(text) < 0) s.parts.push(text);
    if (progress) s.progress = text;
    if (s.timer) return;
    $(id).textContent = "";
    s.timer = window.setTimeout(function () {
      $(id).textContent = s.parts.join(" ");
      s.parts = [];
      s.progress = null;
      s.timer = null;
    }, 80);
  }

  // ------------------------------------------------------------------ connection
  var conn = { ws: null, joined: false, attempt: 0, retry: null, replaced: false, stopped: false,
    inFlight: {}, lastFrame: 0, watchdog: null, status: "off", pumpRetry: null };

  function wsUrl() {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + "/ws";
  }

  function connect() {
    if (conn.ws || conn.replaced || conn.stopped) return;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    var ws;
    try { ws = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
    conn.ws = ws;
    conn.joined = false;
    conn.inFlight = {};
    setStatus("wait");
    ws.onopen = function () {
      if (conn.ws !== ws) return;
      sendHello();
    };
    ws.onmessage = function (ev) {
      if (conn.ws !== ws) return;
      conn.lastFrame = Date.now();
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (isObj(msg) && typeof msg.type === "string") handle(msg);
    };
    ws.onclose = function (ev) {
      if (conn.ws !== ws) return;
      conn.ws = null;
      conn.joined = false;
      conn.inFlight = {};
      window.clearTimeout(conn.watchdog);
      if (ev.code === 4001) { becomeReplaced(); return; }
      if (ev.code === ERASED_CLOSE) { becomeErased(); return; }
      setStatus("off");
      if (!conn.stopped) scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    if (conn.retry || conn.replaced || conn.stopped) return;
    var ceiling = Math.min(BACKOFF_MAX, BACKOFF_BASE * Math.pow(2, conn.attempt));
    var delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);  // "equal jitter"
    conn.attempt = Math.min(conn.attempt + 1, 16);
    setStatus(app.screen === "main" ? "wait" : "off");
    conn.retry = window.setTimeout(function () { conn.retry = null; connect(); }, delay);
  }

  function reconnectNow() {
    if (conn.ws || conn.replaced || conn.stopped) return;
    conn.attempt = 0;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    connect();
  }

  function dropConnection() {
    var ws = conn.ws;
    if (!ws) return;
    conn.ws = null;
    conn.joined = false;
    conn.inFlight = {};
    try { ws.close(); } catch (e) { /* ignore */ }
    setStatus("off");
    scheduleReconnect();
  }

  function sendFrame(obj) {
    if (!conn.ws || conn.ws.readyState !== 1) return false;
    try { conn.ws.send(JSON.stringify(obj)); return true; } catch (e) { return false; }
  }

  function sendHello() {
    sendFrame({ type: "hello", room: app.room, name: app.profile.name || null,
      role: app.profile.role || null, lang: i18n.lang, token: app.token });
    app.helloLang = i18n.lang;
  }

  function checkAlive() {
    // After the phone slept or changed network a socket can look open and be dead.
    if (!conn.joined) return;
    var asked = Date.now();
    sendFrame({ type: "sync" });
    window.clearTimeout(conn.watchdog);
    conn.watchdog = window.setTimeout(function () {
      if (conn.joined && conn.lastFrame < asked) dropConnection();
    }, WATCHDOG_MS);
  }

  function becomeReplaced() {
    conn.replaced = true;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    setStatus("off");
    showScreen("replaced");
    announce(t("replaced_title"));
  }

  // The facilitator erased this participant (close code 4009, docs/protocol.md): what
  // they sent is gone from the host and the token is dead. Forget everything of theirs
  // on this phone too (token, outbox, drafts, name, role) and say so; joining again
  // starts as someone new.
  var ERASED_CLOSE = 4009;
  function becomeErased() {
    conn.stopped = true;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    if (app.draftFor) store.del(roomKey("draft") + "." + app.draftFor);
    store.del(roomKey("me"));
    store.del(roomKey("outbox"));
    app.token = null;
    app.outbox = [];
    app.mine = [];
    app.draft = {};
    app.draftFor = null;
    app.participant = null;
    app.activity = null;
    app.profile = { name: "", role: "", lang: app.profile.lang, dirty: false };
    setStatus("off");
    showScreen("erased");
    announce(t("erased_title"));
  }

  function stop(reason) {
    conn.stopped = true;
    var ws = conn.ws;
    conn.ws = null;
    conn.joined = false;
    if (ws) { try { ws.close(); } catch (e) { /* ignore */ } }
    window.clearTimeout(conn.retry);
    conn.retry = null;
    setStatus("off");
    app.joinError = reason || "";
    showScreen("join");
  }

  function setStatus(s) {
    conn.status = s;
    renderStatus();
  }

  // ------------------------------------------------------------------ outbox
  function pump() {
    if (!conn.joined) return;
    var busy = 0;
    for (var k in conn.inFlight) if (conn.inFlight.hasOwnProperty(k)) busy++;
    var changed = false;
    for (var i = 0; i < app.outbox.length && busy < MAX_IN_FLIGHT; i++) {
      var op = app.outbox[i];
      var key = op.kind + ":" + op.id;
      if (op.failed || conn.inFlight[key]) continue;
      if (op.kind === "withdraw" && findOp("submit", op.id)) continue;  // after its submission's ack
      var frame = op.kind === "submit"
        ? { type: "submit", id: op.id, activity: op.activity, data: op.data }
        : { type: "withdraw", id: op.id };
      if (!sendFrame(frame)) break;
      conn.inFlight[key] = true;
      busy++;
      if (!op.sent) { op.sent = true; changed = true; }
    }
    if (changed) saveOutbox();
  }

  function retryPumpLater() {
    if (conn.pumpRetry) return;
    conn.pumpRetry = window.setTimeout(function () { conn.pumpRetry = null; pump(); }, 1500 + Math.random() * 1500);
  }

  function queueSubmit(data) {
    var op = { kind: "submit", id: uuid(), activity: app.activity.id, data: data,
      at: new Date().toISOString(), sent: false, failed: false, error: "" };
    app.outbox.push(op);
    saveOutbox();
    pump();
    return op;
  }

  function takeBack(id) {
    app.confirming = null;
    var sub = findOp("submit", id);
    if (sub && (sub.failed || !sub.sent)) {
      // Never reached the host: forgetting it here is all there is to do.
      dropOps(id);
      render();
      announce(t("taken_back"));
      return;
    }
    if (!findOp("withdraw", id)) {
      app.outbox.push({ kind: "withdraw", id: id, at: new Date().toISOString(), sent: false, failed: false });
      saveOutbox();
    }
    pump();
    render();
    announce(conn.joined ? t("taking_back") : t("queued_offline"), conn.joined);
  }

  function retryFailed(id) {
    var op = findOp("submit", id);
    if (!op) return;
    op.failed = false;
    op.error = "";
    if (app.activity && op.activity !== app.activity.id && app.activity.state === "open") op.activity = app.activity.id;
    saveOutbox();
    pump();
    render();
  }

  // ------------------------------------------------------------------ protocol messages
  function handle(msg) {
    switch (msg.type) {
      case "welcome": onWelcome(msg); break;
      case "activity": setActivity(msg.activity, false); render(); break;
      case "sync": setActivity(msg.activity, true); setMine(msg.mine); render(); break;
      case "ack": onAck(msg); break;
      case "profile": onProfile(msg); break;
      case "error": onError(msg); break;
      default: break;  // a later protocol version may add messages
    }
  }

  function onWelcome(msg) {
    conn.joined = true;
    conn.attempt = 0;
    if (typeof msg.token === "string") app.token = msg.token;
    app.participant = isObj(msg.participant) ? msg.participant : null;
    if (isObj(msg.session)) { app.session = msg.session; app.session.labelsLang = app.helloLang; }
    var joinedNow = app.screen !== "main";
    if (app.participant) {
      app.profile.lang = i18n.lang;
      if (!app.profile.dirty) {
        app.profile.name = app.participant.name || "";
        app.profile.role = app.participant.role || "";
      }
    }
    saveRoom();
    setStatus("on");
    setActivity(msg.activity, true);
    setMine(msg.mine);
    showScreen("main");
    if (app.profile.dirty) {
      sendFrame({ type: "profile", name: app.profile.name, role: app.profile.role, lang: i18n.lang });
    }
    pump();
    render();
    if (joinedNow) {
      focusSoon($("activity-h"));
      announce(t("joined"));
    }
  }

  function onAck(msg) {
    var id = msg.id;
    if (typeof id !== "string") return;
    delete conn.inFlight["submit:" + id];
    delete conn.inFlight["withdraw:" + id];
    if (msg.withdrawn === true) {
      var hadWithdraw = !!findOp("withdraw", id);
      dropOps(id);
      app.mine = app.mine.filter(function (c) { return c.id !== id; });
      if (hadWithdraw) announce(t("taken_back"));
    } else if (isObj(msg.contribution)) {
      dropOps(id, "submit");
      var c = msg.contribution;
      if (app.activity && c.activity === app.activity.id) upsertMine(c);
      announce(t("saved"));
    }
    pump();
    render();
  }

  function onProfile(msg) {
    if (isObj(msg.session)) { app.session = msg.session; app.session.labelsLang = app.profile.lang || i18n.lang; }
    if (isObj(msg.participant)) {
      app.participant = msg.participant;
      app.profile.name = msg.participant.name || "";
      app.profile.role = msg.participant.role || "";
    }
    app.profile.dirty = false;
    saveRoom();
    if (ui.settingsSaving) {
      ui.settingsSaving = false;
      openSettings(false);
      announce(t("settings_saved"));
    }
    render();
  }

  function onError(msg) {
    var code = msg.code;
    var id = typeof msg.id === "string" ? msg.id : null;
    if (id) {
      delete conn.inFlight["submit:" + id];
      delete conn.inFlight["withdraw:" + id];
    }
    if (!conn.joined) {
      // Errors before the welcome answer the hello.
      if (code === "bad_token") {
        app.token = null;
        saveRoom();
        sendHello();
        return;
      }
      if (code === "bad_room") { app.roomError = t("err_bad_room"); stop(""); return; }
      if (code === "room_full") { stop(t("err_room_full")); return; }
      if (code === "room_locked") { stop(t("err_room_locked")); return; }
      if (code === "already_joined") return;
      if (code === "rate_limited" || code === "unavailable") { dropConnection(); return; }
      return;
    }
    if (code === "rate_limited" || code === "unavailable") { retryPumpLater(); render(); return; }
    var op = id ? (findOp("withdraw", id) || findOp("submit", id)) : null;
    if (op && op.kind === "withdraw") {
      // not_found: it was never stored or is already gone; either way it is not there.
      dropOps(id, "withdraw");
      if (code === "not_found") {
        app.mine = app.mine.filter(function (c) { return c.id !== id; });
        announce(t("taken_back"));
      } else {
        alertText(errorText(code, msg));
      }
      pump();
      render();
      return;
    }
    if (op && op.kind === "submit") {
      if (code === "invalid" && app.activity && op.activity === app.activity.id && app.activity.state === "open") {
        // Back into the form, with the host's reasons next to the fields.
        dropOps(id, "submit");
        app.draft = copy(op.data);
        saveDraft();
        app.fieldErrors = isObj(msg.fields) ? msg.fields : {};
        app.formError = t("err_invalid");
        app.renderedForm = null;
        render();
        alertText(t("err_invalid"));
        focusFirstError();
      } else {
        op.failed = true;
        op.error = code === "invalid" ? t("err_invalid") : errorText(code, msg);
        saveOutbox();
        render();
        alertText(op.error);
      }
      pump();
      return;
    }
    if (code === "invalid" && !id && ui.settingsSaving) {
      ui.settingsSaving = false;
      var fields = isObj(msg.fields) ? msg.fields : {};
      showErr($("set-role-err"), fields.role ? t("err_role") : "");
      showErr($("set-name-err"), fields.name ? String(fields.name) : "");
      alertText(t("err_invalid"));
      return;
    }
    if (code === "not_joined") { dropConnection(); return; }
    if (code !== "already_joined") alertText(errorText(code, msg));
  }

  function errorText(code, msg) {
    var known = { activity_closed: "err_closed", wrong_activity: "err_wrong_activity", too_large: "err_too_large", too_many: "err_too_many",
      not_found: "err_not_found", bad_message: "err_generic", bad_json: "err_generic",
      plugin_error: "err_plugin" };
    if (known[code]) return t(known[code]);
    return t("err_generic");
  }

  function copy(v) { return JSON.parse(JSON.stringify(v)); }

  function setActivity(activity, fromHost) {
    var a = isObj(activity) ? activity : null;
    var before = app.activity;
    app.activity = a;
    var changed = (before ? before.id : null) !== (a ? a.id : null);
    if (changed) {
      app.mine = [];
      app.fieldErrors = {};
      app.formError = "";
      app.confirming = null;
      app.draftFor = a ? a.id : null;
      var d = a ? store.get(roomKey("draft") + "." + a.id) : null;
      app.draft = isObj(d) ? d : {};
      if (!fromHost && a && conn.joined) sendFrame({ type: "sync" });  // my contributions to it
      if (a) announce(t("new_activity", { title: a.title || "" }));
      else announce(t("waiting_title"));
      if (app.screen === "main") refocusAfterChange();
    } else if (a && before && a.state !== before.state) {
      announce(a.state === "open" ? t("state_open_now") : a.state === "closed" ? t("state_closed") : t("state_pending"));
    }
    restartTimer();
  }

  function refocusAfterChange() {
    var f = document.activeElement;
    if (!f || f === document.body || $("activity").contains(f)) focusSoon($("activity-h"));
  }

  function setMine(list) {
    app.mine = Array.isArray(list) ? list.filter(isObj) : [];
  }

  function upsertMine(c) {
    for (var i = 0; i < app.mine.length; i++) {
      if (app.mine[i].id === c.id) { app.mine[i] = c; return; }
    }
    app.mine.push(c);
  }

  // ------------------------------------------------------------------ timer
  var timer = { handle: null, lastAnnounced: null };

  function restartTimer() {
    window.clearInterval(timer.handle);
    timer.handle = null;
    if (app.activity && app.activity.ends_at && app.activity.state !== "closed") {
      timer.handle = window.setInterval(renderTimer, 1000);
    }
    renderTimer();
  }

  function secondsLeft() {
    var ends = Date.parse(app.activity.ends_at);
    if (isNaN(ends)) return null;
    return Math.max(0, Math.ceil((ends - (Date.now() + app.clockOffset)) / 1000));
  }

  function renderTimer() {
    var node = $("activity-timer");
    var a = app.activity;
    if (!a || !a.ends_at || a.state === "closed") { show(node, false); return; }
    var left = secondsLeft();
    if (left === null) { show(node, false); return; }
    show(node, true);
    var m = Math.floor(left / 60), s = left % 60;
    node.textContent = left > 0 ? t("time_left", { time: m + ":" + (s < 10 ? "0" : "") + s }) : t("time_up");
    node.className = "timer" + (left <= 30 ? " timer-low" : "");
    var mark = left === 0 ? 0 : left <= 60 ? 60 : null;
    if (mark !== null && timer.lastAnnounced !== a.id + ":" + mark) {
      timer.lastAnnounced = a.id + ":" + mark;
      announce(node.textContent);
    }
  }

  // ------------------------------------------------------------------ rendering
  var ui = { settingsOpen: false, settingsSaving: false };

  function showScreen(name) {
    app.screen = name;
    var names = ["loading", "join", "main", "replaced", "erased"];
    for (var i = 0; i < names.length; i++) show($("screen-" + names[i]), names[i] === name);
    show($("settings-btn"), name === "main");
    if (name === "join") renderJoin();
    if (name === "replaced") focusSoon($("replaced-h"));
    if (name === "erased") focusSoon($("erased-h"));
  }

  function focusSoon(node) {
    window.setTimeout(function () { if (node && !node.hidden) node.focus(); }, 0);
  }

  function render() {
    renderStatus();
    if (app.session && app.session.title) {
      $("session-title").textContent = app.session.title;
      document.title = app.session.title;
    }
    if (app.screen === "join") renderJoin();
    if (app.screen === "main") {
      renderActivity();
      renderMine();
      if (ui.settingsOpen) renderRoles($("set-roles"), "set-role", app.profile.role, true);
    }
  }

  function queuedCount() {
    var n = 0;
    for (var i = 0; i < app.outbox.length; i++) if (!app.outbox[i].failed) n++;
    return n;
  }

  function renderStatus() {
    var node = $("conn");
    var n = queuedCount();
    var s = conn.status;
    var text;
    if (s === "on") text = n ? t("conn_sending", { count: n }) : t("conn_online");
    else if (s === "wait") text = n ? t("conn_reconnecting_queued", { count: n }) : t("conn_reconnecting");
    else text = n ? t("conn_offline_queued", { count: n }) : t("conn_offline");
    if (conn.replaced) text = t("conn_replaced");
    node.className = "conn conn-" + s;
    var label = $("conn-text");
    if (label.textContent !== text) label.textContent = text;
    label.setAttribute("data-state", s);
  }

  function showErr(node, text) {
    node.textContent = text || "";
    show(node, !!text);
  }

  // --- join screen
  function renderJoin() {
    var title = app.session && app.session.title;
    $("join-workshop").textContent = title ? t("join_workshop", { title: title }) : "";
    show($("join-workshop"), !!title);
    var needRoom = !app.room || !!app.roomError;
    show($("room-field"), needRoom);
    if (needRoom && !$("join-room").value) $("join-room").value = app.room;
    showErr($("join-room-err"), app.roomError);
    $("join-room").setAttribute("aria-invalid", app.roomError ? "true" : "false");
    if (!$("join-name").value && app.profile.name) $("join-name").value = app.profile.name;
    var picked = checkedValue($("join-roles"), app.profile.role);
    renderRoles($("join-roles"), "join-role", picked, false);
    showErr($("join-err"), app.joinError);
  }

  function checkedValue(container, dflt) {
    var c = container.querySelector("input:checked");
    return c ? c.value : dflt;
  }

  function renderRoles(container, name, selected, keepIfSame) {
    var roles = (app.session && Array.isArray(app.session.roles)) ? app.session.roles : [];
    var signature = i18n.lang + "|" + roles.join("\u0000") + "|" + roles.map(roleLabel).join("\u0000");
    if (container.getAttribute("data-sig") === signature) {
      var inputs = container.querySelectorAll("input");
      if (!keepIfSame) {
        for (var k = 0; k < inputs.length; k++) inputs[k].checked = inputs[k].value === (selected || "");
      }
      return;
    }
    container.setAttribute("data-sig", signature);
    clear(container);
    var all = roles.concat([""]);
    for (var i = 0; i < all.length; i++) {
      var value = all[i];
      var id = name + "-" + i;
      container.appendChild(el("label", { className: "choice", "for": id }, [
        el("input", { type: "radio", id: id, name: name, value: value, checked: (selected || "") === value }),
        el("span", { className: "choice-text", text: value === "" ? t("role_none") : roleLabel(value, i) })
      ]));
    }
  }

  // A role is sent as its name; it is shown in the phone's language when the host gives
  // labels (welcome/profile session.role_labels, /api/session role_labels by language).
  function roleLabel(value, i) {
    var by = app.roleLabels && app.roleLabels[i18n.lang];
    if (Array.isArray(by) && typeof by[i] === "string") return by[i];
    var s = app.session;
    if (s && s.labelsLang === i18n.lang && Array.isArray(s.role_labels) && typeof s.role_labels[i] === "string") {
      return s.role_labels[i];
    }
    return value;
  }

  // --- activity
  function renderActivity() {
    var a = app.activity;
    var heading = $("activity-h");
    var stateNode = $("activity-state");
    var prompt = $("activity-prompt");
    var waiting = $("activity-waiting");
    var form = $("activity-form");
    if (!a) {
      heading.textContent = t("waiting_title");
      show(stateNode, false);
      show(prompt, false);
      waiting.textContent = t("waiting_text");
      show(waiting, true);
      show(form, false);
      app.renderedForm = null;
      return;
    }
    heading.textContent = a.title || t("activity");
    prompt.textContent = a.prompt || "";
    show(prompt, !!a.prompt);
    show(stateNode, true);
    if (a.state === "open") {
      stateNode.textContent = t("state_open");
      stateNode.className = "state state-open";
    } else if (a.state === "closed") {
      stateNode.textContent = t("state_closed");
      stateNode.className = "state state-closed";
    } else {
      stateNode.textContent = t("state_pending");
      stateNode.className = "state";
    }
    show(waiting, a.state !== "open");
    waiting.textContent = a.state === "closed" ? t("closed_text") : t("pending_text");
    var open = a.state === "open";
    show(form, open);
    if (!open) { app.renderedForm = null; return; }
    var fields = (isObj(a.form) && Array.isArray(a.form.fields)) ? a.form.fields : [];
    var sig = a.id + "|" + i18n.lang + "|" + JSON.stringify(fields);
    if (app.renderedForm !== sig) {
      app.renderedForm = sig;
      var box = $("fields");
      clear(box);
      for (var i = 0; i < fields.length; i++) {
        if (isObj(fields[i])) box.appendChild(renderField(fields[i], i));
      }
    }
    renderFieldErrors(fields);
    showErr($("form-err"), app.formError);
  }

  function renderFieldErrors(fields) {
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var node = $("f" + i + "-err");
      if (!node) continue;
      var msg = app.fieldErrors[f.name];
      showErr(node, msg ? fieldErrorText(msg) : "");
      var inputs = $("f" + i).querySelectorAll("input, textarea");
      for (var k = 0; k < inputs.length; k++) {
        if (inputs[k].type === "text" || inputs[k].tagName === "TEXTAREA") {
          inputs[k].setAttribute("aria-invalid", msg ? "true" : "false");
        }
      }
      var group = $("f" + i + "-group");
      if (group) group.setAttribute("aria-invalid", msg ? "true" : "false");
    }
  }

  function fieldErrorText(msg) {
    // Our own checks store i18n keys; the host's reasons are shown as it wrote them.
    if (msg.charAt(0) === "@") return t(msg.slice(1));
    return msg;
  }

  function setDraft(name, value) {
    app.draft[name] = value;
    if (app.fieldErrors[name]) {
      delete app.fieldErrors[name];
      app.formError = "";
      renderActivity();
    }
    saveDraft();
  }

  function fieldLabel(f, id, extra) {
    var children = [f.label || f.name];
    if (!f.required) children.push(" ", el("span", { className: "opt", text: t("optional") }));
    return el(extra === "legend" ? "legend" : "label", extra === "legend" ? null : { "for": id }, children);
  }

  function describedBy(base, f) {
    var ids = [base + "-err"];
    if (f.help) ids.unshift(base + "-help");
    return ids.join(" ");
  }

  function helpNode(base, f) {
    return f.help ? el("p", { className: "hint", id: base + "-help", text: String(f.help) }) : null;
  }

  function errNode(base) {
    return el("p", { className: "err", id: base + "-err", hidden: true });
  }

  function renderField(f, i) {
    var base = "f" + i;
    var kinds = { text: renderText, choice: renderChoice, scale: renderScale, vote: renderVote, matrix: renderMatrix };
    var fn = kinds[f.kind];
    if (!fn) {
      return el("div", { className: "field unsupported", id: base }, [
        el("p", { text: (f.label || f.name || "") }),
        el("p", { className: "muted", text: t("unsupported") }),
        errNode(base)
      ]);
    }
    try {
      return fn(f, base);
    } catch (e) {
      return el("div", { className: "field unsupported", id: base }, [
        el("p", { text: (f.label || f.name || "") }),
        el("p", { className: "muted", text: t("unsupported") }),
        errNode(base)
      ]);
    }
  }

  function renderText(f, base) {
    var id = base + "-input";
    var max = typeof f.max_length === "number" ? f.max_length : null;
    var value = typeof app.draft[f.name] === "string" ? app.draft[f.name] : "";
    var counter = max ? el("p", { className: "counter", id: base + "-count", "aria-live": "off" }) : null;
    var attrs = { id: id, name: f.name, "aria-describedby": describedBy(base, f) + (max ? " " + base + "-count" : ""),
      "aria-required": f.required ? "true" : "false", autocomplete: "off" };
    var input = f.multiline ? el("textarea", attrs) : el("input", Object.assign ? Object.assign({ type: "text" }, attrs) : attrs);
    if (!f.multiline) input.type = "text";
    input.value = value;
    function update() {
      if (!counter) return;
      var n = chars(input.value);
      counter.textContent = n > max ? t("counter_over", { count: n, max: max, over: n - max }) : t("counter", { count: n, max: max });
      counter.className = "counter" + (n > max ? " counter-over" : "");
      // Only speak when crossing the limit, not on every key.
      var over = n > max;
      if (over !== !!input.getAttribute("data-over")) {
        if (over) { input.setAttribute("data-over", "1"); announce(counter.textContent); }
        else input.removeAttribute("data-over");
      }
    }
    input.addEventListener("input", function () { setDraft(f.name, input.value); update(); });
    update();
    return el("div", { className: "field", id: base }, [fieldLabel(f, id), helpNode(base, f), input, counter, errNode(base)]);
  }

  function choiceRow(type, name, id, value, label, checked, onchange) {
    return el("label", { className: "choice", "for": id }, [
      el("input", { type: type, id: id, name: name, value: value, checked: checked, onchange: onchange }),
      el("span", { className: "choice-text", text: label })
    ]);
  }

  function renderChoice(f, base) {
    var options = Array.isArray(f.options) ? f.options : [];
    var multiple = !!f.multiple;
    var current = app.draft[f.name];
    var list = el("div", { className: "choices" });
    var group = el("fieldset", { className: "field", id: base, "aria-describedby": describedBy(base, f) },
      [fieldLabel(f, null, "legend"), helpNode(base, f), list, errNode(base)]);
    group.id = base;
    for (var i = 0; i < options.length; i++) {
      (function (o, j) {
        var value = String(o.value);
        var checked = multiple ? (Array.isArray(current) && current.indexOf(value) >= 0) : current === value;
        list.appendChild(choiceRow(multiple ? "checkbox" : "radio", base, base + "-o" + j, value,
          String(o.label !== undefined ? o.label : o.value), checked, function (ev) {
            if (multiple) {
              var now = Array.isArray(app.draft[f.name]) ? app.draft[f.name].slice() : [];
              var at = now.indexOf(value);
              if (ev.target.checked && at < 0) now.push(value);
              if (!ev.target.checked && at >= 0) now.splice(at, 1);
              setDraft(f.name, now);
            } else {
              setDraft(f.name, value);
            }
          }));
      })(isObj(options[i]) ? options[i] : { value: options[i], label: options[i] }, i);
    }
    return group;
  }

  function renderScale(f, base) {
    var min = parseInt(f.min, 10), max = parseInt(f.max, 10);
    if (isNaN(min) || isNaN(max) || max < min || max - min > 20) throw new Error("bad scale");
    var row = el("div", { className: "scale" });
    var ends = (f.min_label || f.max_label)
      ? el("p", { className: "scale-ends", "aria-hidden": "true" }, [
        el("span", { text: min + " = " + (f.min_label || "") }),
        el("span", { text: max + " = " + (f.max_label || "") })])
      : null;
    for (var v = min; v <= max; v++) {
      (function (value) {
        var label = String(value);
        var id = base + "-v" + value;
        var sr = value === min && f.min_label ? f.min_label : value === max && f.max_label ? f.max_label : "";
        var node = el("label", { className: "choice", "for": id }, [
          el("input", { type: "radio", id: id, name: base, value: label, checked: app.draft[f.name] === value,
            onchange: function () { setDraft(f.name, value); } }),
          el("span", { className: "choice-text", text: label }),
          sr ? el("span", { className: "sr-only", text: sr }) : null
        ]);
        row.appendChild(node);
      })(v);
    }
    // Protocol extension: "skip": {"label": "I don't know"} allows a null answer.
    var skip = isObj(f.skip) && typeof f.skip.label === "string" && f.skip.label
      ? el("div", { className: "choices scale-skip" }, [
        choiceRow("radio", base, base + "-skip", "skip", f.skip.label, app.draft[f.name] === SKIP,
          function () { setDraft(f.name, SKIP); })])
      : null;
    return el("fieldset", { className: "field", id: base, "aria-describedby": describedBy(base, f) },
      [fieldLabel(f, null, "legend"), helpNode(base, f), ends, row, skip, errNode(base)]);
  }

  function renderVote(f, base) {
    var items = Array.isArray(f.items) ? f.items : [];
    var total = typeof f.dots === "number" ? f.dots : 0;
    var cap = typeof f.max_per_item === "number" ? f.max_per_item : total;
    var left = el("p", { className: "dots-left", id: base + "-left", role: "status", "aria-live": "polite" });
    var rows = [];
    function spent() {
      var d = isObj(app.draft[f.name]) ? app.draft[f.name] : {};
      var n = 0;
      for (var k in d) if (d.hasOwnProperty(k) && typeof d[k] === "number") n += d[k];
      return n;
    }
    function refresh() {
      var d = isObj(app.draft[f.name]) ? app.draft[f.name] : {};
      var used = spent();
      left.textContent = t("dots_left", { left: Math.max(0, total - used), total: total });
      for (var r = 0; r < rows.length; r++) {
        var n = d[rows[r].id] || 0;
        rows[r].count.textContent = t("dots_on_item", { count: n });
        rows[r].pips.textContent = new Array(n + 1).join("\u25CF") + new Array(Math.max(0, cap - n) + 1).join("\u25CB");
        rows[r].minus.disabled = n <= 0;
        rows[r].plus.disabled = n >= cap || used >= total;
      }
    }
    function change(itemId, delta) {
      var d = isObj(app.draft[f.name]) ? copy(app.draft[f.name]) : {};
      var n = (d[itemId] || 0) + delta;
      if (n < 0 || n > cap || (delta > 0 && spent() >= total)) return;
      if (n === 0) delete d[itemId]; else d[itemId] = n;
      setDraft(f.name, d);
      refresh();
    }
    var list = el("div", { className: "vote-list" });
    for (var i = 0; i < items.length; i++) {
      (function (it, j) {
        var itemId = String(it.id);
        var label = String(it.label !== undefined ? it.label : it.id);
        var labelId = base + "-i" + j;
        var count = el("span", { className: "vote-count", id: labelId + "-n" });
        var pips = el("span", { className: "pips", "aria-hidden": "true" });
        var minus = el("button", { type: "button", className: "btn", "aria-label": t("dot_remove", { item: label }),
          onclick: function () { change(itemId, -1); } }, ["\u2212"]);
        var plus = el("button", { type: "button", className: "btn", "aria-label": t("dot_add", { item: label }),
          onclick: function () { change(itemId, 1); } }, ["+"]);
        rows.push({ id: itemId, count: count, pips: pips, minus: minus, plus: plus });
        list.appendChild(el("div", { className: "vote-item", role: "group", "aria-labelledby": labelId }, [
          el("span", { className: "vote-label", id: labelId, text: label }),
          el("span", { className: "vote-ctrl" }, [minus, el("span", { className: "vote-count-wrap" }, [count, " ", pips]), plus])
        ]));
      })(isObj(items[i]) ? items[i] : { id: items[i], label: items[i] }, i);
    }
    var hint = el("p", { className: "hint", id: base + "-rule", text: t("dots_rule", { total: total, cap: cap }) });
    var node = el("fieldset", { className: "field", id: base, "aria-describedby": base + "-rule " + describedBy(base, f) },
      [fieldLabel(f, null, "legend"), helpNode(base, f), hint, left, list, errNode(base)]);
    refresh();
    return node;
  }

  function renderMatrix(f, base) {
    var rows = Array.isArray(f.rows) ? f.rows : [];
    var cols = Array.isArray(f.columns) ? f.columns : [];
    var parts = [fieldLabel(f, null, "legend"), helpNode(base, f)];
    for (var r = 0; r < rows.length; r++) {
      (function (row, ri) {
        var rowId = String(row.id);
        var current = isObj(app.draft[f.name]) ? app.draft[f.name][rowId] : undefined;
        var list = el("div", { className: "choices" });
        for (var c = 0; c < cols.length; c++) {
          var col = isObj(cols[c]) ? cols[c] : { value: cols[c], label: cols[c] };
          (function (value, label, ci) {
            list.appendChild(choiceRow("radio", base + "-r" + ri, base + "-r" + ri + "-c" + ci, value, label,
              current === value, function () {
                var d = isObj(app.draft[f.name]) ? copy(app.draft[f.name]) : {};
                d[rowId] = value;
                setDraft(f.name, d);
              }));
          })(String(col.value), String(col.label !== undefined ? col.label : col.value), c);
        }
        parts.push(el("fieldset", { className: "matrix-row" }, [
          el("legend", { text: String(row.label !== undefined ? row.label : row.id) }), list]));
      })(isObj(rows[r]) ? rows[r] : { id: rows[r], label: rows[r] }, r);
    }
    parts.push(errNode(base));
    return el("fieldset", { className: "field", id: base, "aria-describedby": describedBy(base, f) }, parts);
  }

  // --- submitting
  // A "don't know" answer in the draft (sent as null; null itself means "not answered").
  var SKIP = "\u0000skip";

  function isEmpty(f, v) {
    if (f.kind === "scale" && v === SKIP) return !isObj(f.skip);
    if (v === undefined || v === null) return true;
    if (f.kind === "text") return typeof v !== "string" || !v.trim();
    if (f.kind === "choice" && f.multiple) return !Array.isArray(v) || v.length === 0;
    if (f.kind === "vote" || f.kind === "matrix") {
      if (!isObj(v)) return true;
      for (var k in v) if (v.hasOwnProperty(k) && v[k]) return false;
      return true;
    }
    return false;
  }

  function onSubmitActivity(ev) {
    ev.preventDefault();
    var a = app.activity;
    if (!a || a.state !== "open") return;
    var fields = (isObj(a.form) && Array.isArray(a.form.fields)) ? a.form.fields : [];
    var errors = {};
    var data = {};
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (!isObj(f) || typeof f.name !== "string") continue;
      var v = app.draft[f.name];
      var empty = isEmpty(f, v);
      if (empty) {
        if (f.required) errors[f.name] = f.kind === "text" ? "@err_required_text" : "@err_required";
        continue;
      }
      if (f.kind === "text" && typeof f.max_length === "number" && chars(v.trim()) > f.max_length) {
        errors[f.name] = "@err_too_long";
        continue;
      }
      if (f.kind === "matrix" && f.required && Array.isArray(f.rows)) {
        var missing = f.rows.some(function (row) { return !v[String(isObj(row) ? row.id : row)]; });
        if (missing) { errors[f.name] = "@err_matrix_rows"; continue; }
      }
      data[f.name] = f.kind === "scale" && v === SKIP ? null : v;
    }
    app.fieldErrors = errors;
    if (Object.keys(errors).length) {
      app.formError = t("err_check_form");
      renderActivity();
      alertText(t("err_check_form"));
      focusFirstError();
      return;
    }
    app.formError = "";
    queueSubmit(copy(data));
    app.draft = {};
    store.del(roomKey("draft") + "." + a.id);
    app.renderedForm = null;
    render();
    announce(conn.joined ? t("sending") : t("queued_offline"), conn.joined);
    var added = $("mine-list").querySelector('[data-id="' + app.outbox[app.outbox.length - 1].id + '"] .status');
    focusSoon(added || $("mine-h"));
  }

  function focusFirstError() {
    window.setTimeout(function () {
      var err = document.querySelector("#fields .err:not([hidden])");
      if (!err) return;
      var field = err.parentNode;
      var target = field.querySelector("input, textarea, button:not([disabled])");
      if (target) target.focus();
    }, 0);
  }

  // --- my contributions
  function labelFor(list, key, value) {
    if (!Array.isArray(list)) return String(value);
    for (var i = 0; i < list.length; i++) {
      if (isObj(list[i]) && String(list[i][key]) === String(value)) return String(list[i].label);
    }
    return String(value);
  }

  function describeValue(f, v) {
    if (!f) return typeof v === "string" ? v : JSON.stringify(v);
    if (f.kind === "text") return String(v);
    if (f.kind === "choice") {
      return Array.isArray(v) ? v.map(function (x) { return labelFor(f.options, "value", x); }).join(", ")
        : labelFor(f.options, "value", v);
    }
    if (f.kind === "scale") {
      if (v === null) return isObj(f.skip) && f.skip.label ? String(f.skip.label) : "–";
      var end = v === f.min && f.min_label ? " (" + f.min_label + ")" : v === f.max && f.max_label ? " (" + f.max_label + ")" : "";
      return String(v) + " / " + f.max + end;
    }
    if (f.kind === "vote" && isObj(v)) {
      return Object.keys(v).map(function (k) { return labelFor(f.items, "id", k) + ": " + v[k]; }).join("\n");
    }
    if (f.kind === "matrix" && isObj(v)) {
      return Object.keys(v).map(function (k) {
        return labelFor(f.rows, "id", k) + ": " + labelFor(f.columns, "value", v[k]);
      }).join("\n");
    }
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function renderMine() {
    var list = $("mine-list");
    var a = app.activity;
    var fields = (a && isObj(a.form) && Array.isArray(a.form.fields)) ? a.form.fields : [];
    var byName = {};
    for (var i = 0; i < fields.length; i++) if (isObj(fields[i])) byName[fields[i].name] = fields[i];
    var entries = [];
    var seen = {};
    for (var j = 0; j < app.mine.length; j++) {
      var c = app.mine[j];
      seen[c.id] = true;
      entries.push({ id: c.id, data: c.data, hidden: !!c.hidden, op: null, other: false });
    }
    for (var k = 0; k < app.outbox.length; k++) {
      var op = app.outbox[k];
      if (op.kind !== "submit" || seen[op.id]) continue;
      entries.push({ id: op.id, data: op.data, hidden: false, op: op, other: !a || op.activity !== a.id });
    }
    var restoreFocus = document.activeElement && list.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-focus") : null;
    clear(list);
    show($("mine-empty"), entries.length === 0);
    for (var m = 0; m < entries.length; m++) list.appendChild(renderMineItem(entries[m], byName));
    if (restoreFocus) {
      var again = list.querySelector('[data-focus="' + restoreFocus + '"]');
      if (again) again.focus();
    }
  }

  function renderMineItem(e, byName) {
    var withdrawing = !!findOp("withdraw", e.id);
    var status, statusClass;
    if (e.op && e.op.failed) { status = t("status_failed", { reason: e.op.error || t("err_generic") }); statusClass = "failed"; }
    else if (e.op) { status = conn.joined ? t("status_sending") : t("status_queued"); statusClass = "sending"; }
    else if (withdrawing) { status = t("status_withdrawing"); statusClass = "sending"; }
    else if (e.hidden) { status = t("status_hidden"); statusClass = "hidden"; }
    else { status = t("status_saved"); statusClass = "saved"; }
    var dl = el("dl");
    var data = isObj(e.data) ? e.data : {};
    for (var name in data) {
      if (!data.hasOwnProperty(name)) continue;
      var f = byName[name];
      dl.appendChild(el("dt", { text: f ? (f.label || name) : name }));
      dl.appendChild(el("dd", { text: describeValue(e.other ? null : f, data[name]) }));
    }
    var item = el("li", { className: "mine-item", "data-id": e.id }, [
      el("p", { className: "status status-" + statusClass, tabindex: "-1", "data-focus": "status-" + e.id }, [status]),
      e.other ? el("p", { className: "muted", text: t("other_activity") }) : null,
      dl
    ]);
    var actions = el("div", { className: "actions" });
    if (e.op && e.op.failed) {
      actions.appendChild(el("button", { type: "button", className: "btn", "data-focus": "retry-" + e.id,
        onclick: function () { retryFailed(e.id); } }, [t("retry")]));
      actions.appendChild(el("button", { type: "button", className: "btn btn-danger", "data-focus": "drop-" + e.id,
        onclick: function () { takeBack(e.id); } }, [t("remove")]));
      item.appendChild(actions);
      return item;
    }
    if (withdrawing) return item;
    if (app.confirming === e.id) {
      var qid = "confirm-" + e.id;
      item.appendChild(el("div", { className: "confirm", role: "group", "aria-labelledby": qid }, [
        el("p", { id: qid, text: t("confirm_take_back") }),
        el("div", { className: "actions" }, [
          el("button", { type: "button", className: "btn btn-danger", "data-focus": "yes-" + e.id, "data-action": "confirm",
            onclick: function () { takeBack(e.id); focusSoon($("mine-h")); } }, [t("confirm_yes")]),
          el("button", { type: "button", className: "btn", "data-focus": "no-" + e.id,
            onclick: function () { app.confirming = null; renderMine(); focusBack(e.id); } }, [t("confirm_no")])
        ])
      ]));
    } else {
      actions.appendChild(el("button", { type: "button", className: "btn btn-danger", "data-focus": "take-" + e.id,
        "data-action": "take-back",
        onclick: function () {
          app.confirming = e.id;
          renderMine();
          var yes = $("mine-list").querySelector('[data-focus="yes-' + e.id + '"]');
          if (yes) yes.focus();
        } }, [t("take_back")]));
      item.appendChild(actions);
    }
    return item;
  }

  function focusBack(id) {
    var b = $("mine-list").querySelector('[data-focus="take-' + id + '"]');
    if (b) b.focus();
  }

  // ------------------------------------------------------------------ settings
  function openSettings(open) {
    ui.settingsOpen = open;
    show($("settings"), open);
    $("settings-btn").setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      $("set-name").value = app.profile.name || "";
      $("set-roles").removeAttribute("data-sig");
      renderRoles($("set-roles"), "set-role", app.profile.role, false);
      showErr($("set-role-err"), "");
      showErr($("set-name-err"), "");
      $("set-lang").value = i18n.lang;
      focusSoon($("settings-h"));
    } else {
      focusSoon($("settings-btn"));
    }
  }

  function onSaveSettings(ev) {
    ev.preventDefault();
    var name = $("set-name").value.trim();
    var role = checkedValue($("set-roles"), "");
    app.profile.name = name;
    app.profile.role = role;
    app.profile.lang = i18n.lang;
    app.profile.dirty = true;
    saveRoom();
    if (conn.joined && sendFrame({ type: "profile", name: name, role: role, lang: i18n.lang })) {
      ui.settingsSaving = true;
    } else {
      openSettings(false);
      announce(t("settings_saved_offline"));
    }
  }

  // ------------------------------------------------------------------ joining
  function onJoin(ev) {
    ev.preventDefault();
    if (!app.room || app.roomError) {
      var typed = $("join-room").value.trim();
      if (!typed) {
        app.roomError = t("err_room_required");
        renderJoin();
        $("join-room").focus();
        return;
      }
      if (typed !== app.room) {
        app.room = typed;
        loadRoom();
      }
      app.roomError = "";
    }
    store.set("fk.lastRoom", app.room);
    app.profile.name = $("join-name").value.trim();
    app.profile.role = checkedValue($("join-roles"), "");
    app.profile.lang = i18n.lang;
    app.profile.dirty = false;
    app.joinError = "";
    saveRoom();
    renderJoin();
    conn.stopped = false;
    conn.attempt = 0;
    connect();
    announce(t("joining"), true);
  }

  function loadSessionInfo(done) {
    getJSON("/api/session", function (data, xhr) {
      var date = xhr && xhr.getResponseHeader ? xhr.getResponseHeader("Date") : null;
      if (date) {
        var offset = Date.parse(date) - Date.now();
        // The header has whole seconds: only correct clocks that are clearly off.
        if (!isNaN(offset) && Math.abs(offset) > 2500) app.clockOffset = offset;
      }
      if (isObj(data) && isObj(data.role_labels)) app.roleLabels = data.role_labels;
      if (isObj(data) && !app.session) {
        app.session = { title: typeof data.title === "string" ? data.title : "",
          roles: Array.isArray(data.roles) ? data.roles.filter(function (r) { return typeof r === "string"; }) : [] };
      }
      if (done) done(!!data);
    });
  }

  // ------------------------------------------------------------------ start
  function start() {
    app.room = roomFromUrl() || store.get("fk.lastRoom") || "";
    if (app.room) loadRoom();
    $("join-form").addEventListener("submit", onJoin);
    $("activity-form").addEventListener("submit", onSubmitActivity);
    $("settings-form").addEventListener("submit", onSaveSettings);
    $("settings-btn").addEventListener("click", function () { openSettings(!ui.settingsOpen); });
    $("settings-close").addEventListener("click", function () { openSettings(false); });
    $("join-lang").addEventListener("change", onLanguagePicked);
    $("set-lang").addEventListener("change", onLanguagePicked);
    $("replaced-btn").addEventListener("click", function () {
      conn.replaced = false;
      conn.attempt = 0;
      showScreen("main");
      render();
      connect();
    });
    $("erased-btn").addEventListener("click", function () {
      app.joinError = "";
      showScreen("join");
      render();
      focusSoon($("join-h"));
    });
    document.addEventListener("keydown", function (ev) {
      if ((ev.key === "Escape" || ev.key === "Esc") && ui.settingsOpen) openSettings(false);
    });
    window.addEventListener("online", reconnectNow);
    // A socket does not notice a lost network for a long while: start over at once.
    window.addEventListener("offline", function () { if (conn.ws) dropConnection(); else setStatus("off"); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") return;
      if (conn.ws) checkAlive(); else reconnectNow();
    });
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) { if (conn.ws) checkAlive(); else reconnectNow(); } });

    getJSON("/static/i18n/index.json", function (index) {
      var langs = isObj(index) && Array.isArray(index.languages) ? index.languages.filter(function (l) {
        return isObj(l) && typeof l.code === "string" && typeof l.name === "string";
      }) : [];
      if (!langs.length) langs = [{ code: "en", name: "English" }];
      i18n.languages = langs;
      var code = pickLanguage(langs.map(function (l) { return l.code; }));
      var pending = 2;
      function ready() {
        if (--pending) return;
        if (app.room && (app.token || app.outbox.length)) {
          // Known on this phone: straight back in, with the same identity.
          showScreen("main");
          render();
          connect();
        } else {
          showScreen("join");
          render();
          focusSoon($("join-h"));
        }
      }
      setLanguage(code, ready);
      loadSessionInfo(ready);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
