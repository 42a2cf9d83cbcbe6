/* facilitation-kit participant page: the activity form.
 *
 * One renderer per field kind (text, choice, scale, vote, matrix; renderField picks one),
 * the draft kept as the participant types (setDraft), and sending the form
 * (onSubmitActivity: checks the answers, then queues them in the outbox).
 */
(function () {
  "use strict";
  var FK = window.FK = window.FK || {};
  var $ = FK.$, alertText = FK.alertText, announce = FK.announce, app = FK.app, chars = FK.chars,
      conn = FK.conn, copy = FK.copy, el = FK.el, focusSoon = FK.focusSoon, i18n = FK.i18n,
      isObj = FK.isObj, queueSubmit = FK.queueSubmit, roomKey = FK.roomKey,
      saveDraft = FK.saveDraft, store = FK.store, t = FK.t;
  // Defined in a later file: looked up in FK when called.
  function render() { return FK.render(); }
  function renderActivity() { return FK.renderActivity(); }

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

  // The rows of a matrix: a fieldset per row with one radio choice per column, drawn by
  // cell(value, label, id, name, checked, choose) into a box of class boxClass.
  function matrixRows(f, base, boxClass, cell) {
    var cols = Array.isArray(f.columns) ? f.columns : [];
    return (Array.isArray(f.rows) ? f.rows : []).map(function (raw, ri) {
      var row = isObj(raw) ? raw : { id: raw, label: raw };
      var rowId = String(row.id);
      var current = isObj(app.draft[f.name]) ? app.draft[f.name][rowId] : undefined;
      var box = el("div", { className: boxClass });
      cols.forEach(function (rawCol, ci) {
        var col = isObj(rawCol) ? rawCol : { value: rawCol, label: rawCol };
        var value = String(col.value);
        box.appendChild(cell(value, String(col.label !== undefined ? col.label : col.value),
          base + "-r" + ri + "-c" + ci, base + "-r" + ri, current === value, function () {
            var d = isObj(app.draft[f.name]) ? copy(app.draft[f.name]) : {};
            d[rowId] = value;
            setDraft(f.name, d);
          }));
      });
      return el("fieldset", { className: "matrix-row" }, [
        el("legend", { text: String(row.label !== undefined ? row.label : row.id) }), box]);
    });
  }

  function renderMatrix(f, base) {
    if (f.min_label || f.max_label) return renderScaleGrid(f, base);
    var parts = [fieldLabel(f, null, "legend"), helpNode(base, f)].concat(
      matrixRows(f, base, "choices", function (value, label, id, name, checked, choose) {
        return choiceRow("radio", name, id, value, label, checked, choose);
      }));
    parts.push(errNode(base));
    return el("fieldset", { className: "field", id: base, "aria-describedby": describedBy(base, f) }, parts);
  }
  // Protocol extension: a matrix with "min_label"/"max_label" is a grid of scales (e.g. the
  // ethical compass): the ends are shown once, and each row's columns side by side.
  function renderScaleGrid(f, base) {
    var cols = Array.isArray(f.columns) ? f.columns : [];
    var numeric = cols.filter(function (c) { return /^\d+$/.test(String(isObj(c) ? c.value : c)); });
    var first = numeric.length ? String(isObj(numeric[0]) ? numeric[0].value : numeric[0]) : "";
    var last = numeric.length ? String(isObj(numeric[numeric.length - 1]) ? numeric[numeric.length - 1].value
      : numeric[numeric.length - 1]) : "";
    var parts = [fieldLabel(f, null, "legend"), helpNode(base, f),
      el("p", { className: "scale-ends", "aria-hidden": "true" }, [
        el("span", { text: first + " = " + String(f.min_label || "") }),
        el("span", { text: last + " = " + String(f.max_label || "") })])].concat(
      matrixRows(f, base, "scale scale-grid", function (value, label, id, name, checked, choose) {
        var sr = value === first && f.min_label ? String(f.min_label) : value === last && f.max_label
          ? String(f.max_label) : "";
        return el("label", { className: "choice" + (/^\d+$/.test(value) ? "" : " choice-word"), "for": id }, [
          el("input", { type: "radio", id: id, name: name, value: value, checked: checked, onchange: choose }),
          el("span", { className: "choice-text", text: label }),
          sr ? el("span", { className: "sr-only", text: sr }) : null]);
      }));
    parts.push(errNode(base));
    return el("fieldset", { className: "field scale-grid-field", id: base, "aria-describedby": describedBy(base, f) }, parts);
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

  // Shared with the other files.
  FK.fieldErrorText = fieldErrorText;
  FK.focusFirstError = focusFirstError;
  FK.onSubmitActivity = onSubmitActivity;
  FK.renderField = renderField;
})();
