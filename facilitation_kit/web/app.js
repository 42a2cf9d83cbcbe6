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
 *
 * This file starts the page: picking a language, joining, and wiring the page's events.
 * The rest is in util.js, state.js, i18n.js, connection.js, fields.js and screens.js
 * (loaded before it, in that order; they share the one namespace object window.FK).
 */
(function () {
  "use strict";
  var FK = window.FK = window.FK || {};
  var $ = FK.$, announce = FK.announce, app = FK.app, checkAlive = FK.checkAlive,
      checkedValue = FK.checkedValue, conn = FK.conn, connect = FK.connect,
      dropConnection = FK.dropConnection, focusSoon = FK.focusSoon, getJSON = FK.getJSON,
      i18n = FK.i18n, isObj = FK.isObj, loadRoom = FK.loadRoom, onSaveSettings = FK.onSaveSettings,
      onSubmitActivity = FK.onSubmitActivity, openSettings = FK.openSettings,
      pickLanguage = FK.pickLanguage, reconnectNow = FK.reconnectNow, render = FK.render,
      renderJoin = FK.renderJoin, roomFromUrl = FK.roomFromUrl, saveRoom = FK.saveRoom,
      sendFrame = FK.sendFrame, setLanguage = FK.setLanguage, setStatus = FK.setStatus,
      showScreen = FK.showScreen, store = FK.store, t = FK.t, ui = FK.ui;

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
    $("consent-yes").addEventListener("click", function () { FK.answerConsent(true); });
    $("consent-no").addEventListener("click", function () { FK.answerConsent(false); });
    $("watching-btn").addEventListener("click", function () { showScreen("consent"); focusSoon($("consent-h")); });
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
