/* facilitation-kit participant page: languages.
 *
 * t(key, vars) looks a phrase up in the phone's language (English as fallback);
 * pickLanguage, setLanguage (loads /static/i18n/CODE.json), the page's fixed texts
 * (data-i18n) and the language lists. Picking a language on the page is in app.js.
 */
(function () {
  "use strict";
  var FK = window.FK = window.FK || {};
  var app = FK.app, clear = FK.clear, el = FK.el, getJSON = FK.getJSON, isObj = FK.isObj,
      store = FK.store;
  // Defined in a later file: looked up in FK when called.
  function render() { return FK.render(); }

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

  // Shared with the other files.
  FK.i18n = i18n;
  FK.pickLanguage = pickLanguage;
  FK.setLanguage = setLanguage;
  FK.t = t;
})();
