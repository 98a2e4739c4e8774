// Section page: show_if conditions, autosave of each changed answer, conflicts, and keeping
// unsaved answers in this browser until the server has them. Works on top of the plain form:
// without this script the "Save" buttons post the whole section.
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave]");
  if (!form) return;

  var messages = JSON.parse(form.dataset.messages);
  var saveUrl = form.dataset.autosave;
  var tokenUrl = form.dataset.tokenUrl;
  var storageKey = form.dataset.storageKey;
  // Times as the pages write them: in the application's time zone, not the browser's.
  var timeZone = form.dataset.timeZone;
  var status = document.getElementById("save-status");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var DEBOUNCE_MS = 800;
  var MAX_DELAY_MS = 30000;
  var timers = {};
  var inFlight = {};
  var dirty = {};
  var pending = {};  // item id -> true while its debounced save has not been sent yet
  var freshToken = {};  // item id -> true while it is sent again with a new token
  var savedAs = {};  // item id -> the answer as the server last acknowledged it (see state)
  var leaving = false;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : values[name];
    });
  }

  function setStatus(key, values) {
    status.textContent = format(messages[key], values || {});
    status.dataset.state = key;
  }

  function block(itemId) {
    return form.querySelector('[data-item="' + itemId + '"]');
  }

  function controls(itemId) {
    return form.querySelectorAll('[name="' + itemId + '"]');
  }

  // The item's raw values as the browser would post them.
  function rawValues(itemId) {
    var values = [];
    controls(itemId).forEach(function (control) {
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) values.push(control.value);
      } else if (control.value !== "") {
        values.push(control.value);
      }
    });
    return values;
  }

  function comment(itemId) {
    var field = form.querySelector('[name="' + itemId + '__comment"]');
    return field ? field.value : null;
  }

  // The reason for "not applicable" and the evidence (null where the item has no such input).
  function extra(itemId, name) {
    var field = form.querySelector('[name="' + itemId + "__" + name + '"]');
    return field ? field.value : null;
  }

  function setExtra(itemId, name, value) {
    var field = form.querySelector('[name="' + itemId + "__" + name + '"]');
    if (field && value !== null && value !== undefined) field.value = value;
  }

  // What the officer sees of an item, to compare: its values, comment, reason and evidence.
  function state(itemId) {
    return JSON.stringify([rawValues(itemId), comment(itemId), extra(itemId, "na_reason"),
                           extra(itemId, "evidence")]);
  }

  // What this page last had from the server for an item: the last answer a save of this
  // page acknowledged, or one kept in this browser since an earlier page (its changes put
  // back), or the page as the server wrote it.
  var restoredBase = {};
  function baseline(itemId) {
    return savedAs[itemId] || restoredBase[itemId] || shownState(itemId);
  }

  // The same, as the server wrote it into the page (the controls' default state).
  function shownState(itemId) {
    var values = [];
    controls(itemId).forEach(function (control) {
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.defaultChecked) values.push(control.value);
      } else if (control.tagName === "SELECT") {
        Array.prototype.forEach.call(control.options, function (option) {
          if (option.defaultSelected && option.value !== "") values.push(option.value);
        });
      } else if (control.defaultValue !== "") {
        values.push(control.defaultValue);
      }
    });
    function shown(name) {
      var field = form.querySelector('[name="' + itemId + name + '"]');
      return field ? field.defaultValue : null;
    }
    return JSON.stringify([values, shown("__comment"), shown("__na_reason"),
                           shown("__evidence")]);
  }

  function versionInput(itemId) {
    return form.querySelector('[name="' + itemId + '__version"]');
  }

  function setValues(itemId, values) {
    controls(itemId).forEach(function (control) {
      if (control.type === "radio" || control.type === "checkbox") {
        control.checked = values.indexOf(control.value) !== -1;
      } else {
        control.value = values.join("\n");
      }
    });
  }

  // --- show_if -------------------------------------------------------------------------------
  function applyConditions() {
    form.querySelectorAll("[data-show-if-item]").forEach(function (item) {
      var expected = JSON.parse(item.dataset.showIfValues);
      var actual = rawValues(item.dataset.showIfItem);
      var controller = block(item.dataset.showIfItem);
      var visible = (!controller || !controller.hidden) &&
        actual.some(function (value) { return expected.indexOf(value) !== -1; });
      item.hidden = !visible;
    });
  }

  // The reason input with "not applicable", the evidence input with the answers that ask for
  // it (or once evidence is typed): the page opens as the server showed them.
  function applyExtras() {
    form.querySelectorAll("[data-na-reason-for]").forEach(function (box) {
      var values = rawValues(box.dataset.naReasonFor);
      box.hidden = values.indexOf("na") === -1;
    });
    form.querySelectorAll("[data-evidence-for]").forEach(function (box) {
      var asking = JSON.parse(box.dataset.evidenceValues);
      var values = rawValues(box.dataset.evidenceFor);
      var typed = extra(box.dataset.evidenceFor, "evidence");
      box.hidden = !typed && !values.some(function (value) { return asking.indexOf(value) !== -1; });
    });
  }

  // --- keeping unsaved answers in this browser ------------------------------------------------
  function loadKept() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "{}"); } catch (e) { return {}; }
  }

  function keep(itemId) {
    var kept = loadKept();
    var before = kept[itemId];
    // base: the answer as the server had it when these changes began (see showConflict).
    kept[itemId] = { value: rawValues(itemId), comment: comment(itemId),
                     na_reason: extra(itemId, "na_reason"), evidence: extra(itemId, "evidence"),
                     version: Number(versionInput(itemId).value),
                     base: (before && before.base) || baseline(itemId) };
    try { localStorage.setItem(storageKey, JSON.stringify(kept)); } catch (e) { /* full */ }
  }

  function forget(itemId) {
    var kept = loadKept();
    delete kept[itemId];
    try { localStorage.setItem(storageKey, JSON.stringify(kept)); } catch (e) { /* ignore */ }
  }

  // --- saving ---------------------------------------------------------------------------------
  function schedule(itemId) {
    dirty[itemId] = true;
    keep(itemId);
    clearTimeout(timers[itemId]);
    pending[itemId] = true;
    timers[itemId] = setTimeout(function () { save(itemId, 0); }, DEBOUNCE_MS);
  }

  // Leaving the page (another section, another tab): send what is still waiting at once.
  function flush() {
    leaving = true;
    Object.keys(pending).forEach(function (itemId) {
      clearTimeout(timers[itemId]);
      if (!inFlight[itemId]) save(itemId, 0);
    });
  }

  function retry(itemId, attempt, key) {
    setStatus(key || "retrying");
    var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempt));
    clearTimeout(timers[itemId]);
    timers[itemId] = setTimeout(function () { save(itemId, attempt + 1); }, delay);
  }

  // A new token for this page's session; resolves to false when the session itself has ended.
  function refreshToken() {
    return fetch(tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) return false;
        return response.json().then(function (data) {
          if (data && data.token) csrfInput.value = data.token;
          return true;
        });
      })
      .catch(function () { return true; });  // the network: the retry tells
  }

  // A message at the item, or at its reason or evidence input (``field``: that input's name).
  function showError(itemId, message, field) {
    [itemId, itemId + "__na_reason", itemId + "__evidence"].forEach(function (name) {
      var error = form.querySelector('[data-error-for="' + name + '"]');
      if (!error) return;
      var text = name === (field || itemId) ? message || "" : "";
      error.textContent = text;
      error.hidden = !text;
      if (name !== itemId) {
        var input = form.querySelector('[name="' + name + '"]');
        if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
        if (text) error.parentNode.hidden = false;
      }
    });
    block(itemId).classList.toggle("has-error", Boolean(message));
  }

  function showMeta(itemId, data) {
    var changedBy = form.querySelector('[data-changed-by="' + itemId + '"]');
    if (changedBy && data.updated_by_text) changedBy.textContent = data.updated_by_text;
    // A carried answer changed is the officer's own: its "from an earlier round" mark goes.
    var carryMark = form.querySelector('[data-carry-mark="' + itemId + '"]');
    if (carryMark && data.carried === false) carryMark.remove();
  }

  function save(itemId, attempt) {
    if (inFlight[itemId]) { schedule(itemId); return; }
    delete pending[itemId];
    inFlight[itemId] = true;
    setStatus("saving");
    var sentValues = rawValues(itemId);
    var sentComment = comment(itemId);
    var sentState = state(itemId);
    var body = { value: sentValues, comment: comment(itemId),
                 version: Number(versionInput(itemId).value) };
    ["na_reason", "evidence"].forEach(function (name) {
      var value = extra(itemId, name);
      if (value !== null) body[name] = value;
    });
    fetch(saveUrl.replace("__ITEM__", encodeURIComponent(itemId)), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrfInput.value },
      body: JSON.stringify(body),
      keepalive: leaving  // a save sent while the page unloads still reaches the server
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        inFlight[itemId] = false;
        handle(itemId, attempt, response.status, data, sentValues, sentComment, sentState);
      });
    }).catch(function () {
      inFlight[itemId] = false;
      retry(itemId, attempt);
    });
  }

  // Who else saved in this section lately: the save's reply says it (no polling of its own).
  var present = document.getElementById("present");
  function showPresent(sentence) {
    if (!present || typeof sentence !== "string") return;
    present.textContent = sentence;
    present.hidden = sentence === "";
  }

  function handle(itemId, attempt, code, data, sentValues, sentComment, sentState) {
    var fresh = freshToken[itemId];  // this save went with a token fetched just before it
    delete freshToken[itemId];
    if (code === 200) {
      versionInput(itemId).value = data.version;
      showError(itemId, "");
      clearConflict(itemId);
      showMeta(itemId, data);
      if (state(itemId) === sentState) {
        delete dirty[itemId];
        forget(itemId);
        showStored(itemId, sentValues, data.form_values);
        savedAs[itemId] = state(itemId);
      } else {
        keep(itemId);  // typed on while saving: the newer text goes next, on the new version
      }
      showPresent(data.present);
      setStatus("saved", { time: new Date().toLocaleTimeString(document.documentElement.lang,
                                                            { hour: "numeric", minute: "2-digit",
                                                              timeZone: timeZone }) });
    } else if (code === 409) {
      showConflict(itemId, data.current);
      setStatus("conflict");
    } else if (code === 422) {
      showError(itemId, data.error, data.field);
      setStatus("invalid");
    } else if (code === 401) {
      retry(itemId, Math.min(attempt, 4), "signedout");
    } else if (code === 400 && data.csrf) {
      // An expired token: a new one, and the save again at once (where tokens have a time
      // limit, waiting out the backoff could outlast the new one). Refused even with a token
      // just fetched, it waits its backoff. An ended session says so, as for a 401.
      refreshToken().then(function (signedIn) {
        if (!signedIn) {
          retry(itemId, Math.min(attempt, 4), "signedout");
        } else if (fresh) {
          retry(itemId, attempt);
        } else {
          freshToken[itemId] = true;
          save(itemId, attempt);
        }
      });
    } else if (code === 403) {
      setStatus("locked");
    } else if (code >= 400 && code < 500 && code !== 408 && code !== 429) {
      showError(itemId, data.error || "");  // retrying would not help
      setStatus("invalid");
    } else {
      retry(itemId, attempt);
    }
  }

  // What the server kept can differ from what was typed (an address given twice is kept once,
  // blank lines go): the field then shows what was saved, but never under the officer's
  // cursor. A field in use gets it when the officer leaves it, unless they typed on. Spaces
  // and new lines at the end stay as typed (the server trims them; the officer may be about
  // to go on writing there), so text that differs only by them is left alone.
  var stored = {};  // item id -> {sent, values} waiting for the officer to leave the field

  function showStored(itemId, sentValues, values) {
    delete stored[itemId];
    if (!values || values.join("\n").trim() === sentValues.join("\n").trim()) return;
    var tail = sentValues.join("\n").match(/\s*$/)[0];
    if (tail && values.length) values = values.slice(0, -1).concat(values.slice(-1)[0] + tail);
    if (inUse(itemId, document.activeElement)) {
      stored[itemId] = { sent: sentValues, values: values };
      return;
    }
    setValues(itemId, values);
    applyConditions();
  }

  function inUse(itemId, element) {
    return Array.prototype.indexOf.call(controls(itemId), element) !== -1;
  }

  form.addEventListener("focusout", function (event) {
    var itemId = event.target.name;
    var waiting = stored[itemId];
    if (!waiting || inUse(itemId, event.relatedTarget)) return;  // on to the same item's control
    delete stored[itemId];
    if (!dirty[itemId] && rawValues(itemId).join("\n") === waiting.sent.join("\n")) {
      setValues(itemId, waiting.values);
      savedAs[itemId] = state(itemId);
      applyConditions();
    }
  });

  // --- conflicts ------------------------------------------------------------------------------
  function clearConflict(itemId) {
    var panel = block(itemId).querySelector(".conflict[data-live]");
    if (panel) panel.remove();
  }

  function button(label, className, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = className;
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  function showConflict(itemId, current) {
    clearConflict(itemId);
    var panel = document.createElement("div");
    panel.className = "conflict";
    panel.dataset.live = "1";
    panel.setAttribute("role", "alert");
    var who = document.createElement("p");
    who.textContent = format(messages.conflict_by,
                             { name: current.updated_by || "?", when: current.updated_at_text });
    var theirs = document.createElement("p");
    theirs.textContent = format(messages.conflict_theirs,
                                { value: current.display || messages.no_answer });
    // The parts of the answer besides its value: what this page last had from the server
    // (its baseline), what the officer has now, and the other person's.
    var base = JSON.parse(baseline(itemId));
    var now = JSON.parse(state(itemId));
    var other = [current.form_values || [], current.comment || "", current.na_reason || "",
                 current.evidence || ""];
    var extras = [];
    [["__comment", "conflict_their_comment"], ["__na_reason", "conflict_their_reason"],
     ["__evidence", "conflict_their_evidence"]].forEach(function (part, index) {
      if (now[index + 1] === null || (now[index + 1] || "") === other[index + 1]) return;
      if (!other[index + 1]) return;
      var line = document.createElement("p");
      line.textContent = format(messages[part[1]], { text: other[index + 1] });
      extras.push(line);
    });
    var merge = document.createElement("p");
    merge.textContent = messages.conflict_merge;
    var mine = button(messages.keep_mine, "button", function () {
      // What the officer did not change here is taken from theirs: keeping "my answer" never
      // writes back a comment, reason or evidence this page only showed from before. Read
      // now, at the click: a change made while the box was shown is the officer's too.
      now = JSON.parse(state(itemId));
      if (JSON.stringify(now[0]) === JSON.stringify(base[0])) setValues(itemId, other[0]);
      [["__comment", 1], ["__na_reason", 2], ["__evidence", 3]].forEach(function (part) {
        var field = form.querySelector('[name="' + itemId + part[0] + '"]');
        if (!field || (now[part[1]] || "") !== (base[part[1]] || "")) return;
        field.value = other[part[1]];
        var details = field.closest("details");
        if (details && field.value) details.open = true;  // their comment is seen
      });
      versionInput(itemId).value = current.version;
      clearConflict(itemId);
      applyConditions();
      applyExtras();
      save(itemId, 0);
    });
    var use = button(messages.use_theirs, "button button-secondary", function () {
      versionInput(itemId).value = current.version;
      setValues(itemId, current.form_values || []);
      var commentField = form.querySelector('[name="' + itemId + '__comment"]');
      if (commentField) commentField.value = current.comment || "";
      setExtra(itemId, "na_reason", current.na_reason || "");
      setExtra(itemId, "evidence", current.evidence || "");
      delete dirty[itemId];
      forget(itemId);
      clearConflict(itemId);
      applyConditions();
      setStatus("taken");
    });
    panel.append.apply(panel, [who, theirs].concat(extras, [merge, mine, " ", use]));
    block(itemId).querySelector("legend").after(panel);
    // Never move the focus while the officer types elsewhere: a key press would choose.
    if (!document.activeElement || document.activeElement === document.body) mine.focus();
  }

  // --- wiring ---------------------------------------------------------------------------------
  function onEdit(event) {
    var item = event.target.closest("[data-item]");
    if (!item || event.target.type === "hidden") return;
    applyConditions();
    applyExtras();
    // A text field's "change" when the officer leaves it repeats its "input": already saved.
    if (!dirty[item.dataset.item] && savedAs[item.dataset.item] === state(item.dataset.item)) return;
    schedule(item.dataset.item);
  }

  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  form.addEventListener("submit", function () {
    // The plain post saves everything. The copy kept here stays until a page shows the
    // answers saved (see below): if this post fails, nothing typed is lost.
    dirty = {};
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("beforeunload", function (event) {
    flush();
    // Warn only about answers the server has not accepted (failing, signed out, conflict);
    // a save just sent on the way out is kept by the browser and by this page's copy.
    var unsent = Object.keys(dirty).filter(function (itemId) { return !inFlight[itemId]; });
    if (unsent.length) {
      event.preventDefault();
      event.returnValue = messages.unsaved;
    }
  });

  // Answers typed here earlier that never reached the server: put them back and send them,
  // based on the version they were typed against, so a newer change shows as a conflict.
  // A kept answer the page already shows (saved by a plain post, or by another tab) is done.
  var kept = loadKept();
  Object.keys(kept).forEach(function (itemId) {
    if (!block(itemId)) return;
    if (JSON.stringify(rawValues(itemId)) === JSON.stringify(kept[itemId].value) &&
        (kept[itemId].comment === null || kept[itemId].comment === comment(itemId))) {
      forget(itemId);
      return;
    }
    if (kept[itemId].base) restoredBase[itemId] = kept[itemId].base;
    setValues(itemId, kept[itemId].value);
    var commentField = form.querySelector('[name="' + itemId + '__comment"]');
    if (commentField && kept[itemId].comment !== null) commentField.value = kept[itemId].comment;
    setExtra(itemId, "na_reason", kept[itemId].na_reason);
    setExtra(itemId, "evidence", kept[itemId].evidence);
    versionInput(itemId).value = kept[itemId].version;
    dirty[itemId] = true;
    save(itemId, 0);
  });
  // Answers the officer chose or typed before this script ran (it loads after the page
  // shows, and a quick officer is faster on a slow network; early-edits.js noted them): what
  // differs from the page as the server wrote it is sent now, as if changed now. Fields the
  // browser put back by itself (Back) were not edited here: never sent.
  var early = window.surveyappEditedEarly || {};
  Object.keys(early).forEach(function (itemId) {
    if (dirty[itemId] || !block(itemId) || !versionInput(itemId)) return;
    if (state(itemId) !== shownState(itemId)) schedule(itemId);
  });
  applyConditions();
  applyExtras();
})();
