// apport serve: the live parts of the page, in plain JavaScript (no library, no build step).
// Every rule, message and document comes from the server; this file only sends the form,
// shows what comes back, and asks for files.
"use strict";

(function () {
  const DELAY = 250; // ms of quiet typing before the deal is checked again

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  async function post(url, body, type) {
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "Content-Type": type || "text/plain; charset=utf-8" } });
  }

  function saveBlob(blob, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function fileName(response, fallback) {
    const header = response.headers.get("Content-Disposition") || "";
    const match = /filename\*=UTF-8''([^;]+)/.exec(header);
    return match ? decodeURIComponent(match[1]) : fallback;
  }

  // --- a deal as a form ------------------------------------------------------------------
  function dealPage(root) {
    const name = root.dataset.name;
    const q = "?name=" + encodeURIComponent(name);
    const formEl = document.getElementById("deal-form");
    const statusEl = document.getElementById("status");
    const savedEl = document.getElementById("saved");
    const generalEl = document.getElementById("general");
    const previewEl = document.getElementById("preview-doc");
    const previewNote = document.getElementById("preview-note");
    const tabs = Array.from(document.querySelectorAll("[role=tab]"));
    let etag = root.dataset.etag || null;
    let isNew = root.dataset.new === "true";
    let touchedAll = !isNew;
    const touched = new Set();
    let last = null;          // the server's last reading of the form
    let kind = tabs.length ? tabs[0].dataset.kind : "contrat";
    let sequence = 0;         // answers to older requests are dropped

    function fields() {
      const values = {};
      for (const el of formEl.elements) {
        if (el.name) values[el.name] = el.value;
      }
      return values;
    }

    function show(reading) {
      const relevant = new Set(reading.relevant);
      for (const div of formEl.querySelectorAll(".field")) {
        div.hidden = !relevant.has(div.dataset.path);
      }
      for (const set of formEl.querySelectorAll("fieldset")) {
        set.hidden = !set.querySelector(".field:not([hidden])");
      }
      for (const div of formEl.querySelectorAll(".field")) {
        const path = div.dataset.path;
        const box = div.querySelector(".msg");
        box.replaceChildren();
        const items = (touchedAll || touched.has(path)) ? (reading.fields[path] || []) : [];
        for (const item of items) {
          const p = document.createElement("p");
          p.className = item.severity;
          p.textContent = (item.severity === "error" ? "Erreur : " : "Attention : ") + item.message;
          box.appendChild(p);
        }
        const bad = items.some(function (i) { return i.severity === "error"; });
        div.classList.toggle("has-error", bad);
        const input = div.querySelector("input, select, textarea");
        if (input) input.setAttribute("aria-invalid", bad ? "true" : "false");
      }
      generalEl.replaceChildren();
      for (const item of reading.general) {
        const li = document.createElement("li");
        li.className = item.severity;
        li.textContent = item.message;
        generalEl.appendChild(li);
      }
      let text;
      if (reading.errors) {
        text = reading.errors + (reading.errors > 1 ? " erreurs" : " erreur") + " à corriger";
        statusEl.className = "status error";
      } else if (reading.warnings) {
        text = "Dossier valide, " + reading.warnings + " avertissement" + (reading.warnings > 1 ? "s" : "");
        statusEl.className = "status warning";
      } else {
        text = "Dossier valide";
        statusEl.className = "status ok";
      }
      statusEl.textContent = text;
    }

    const NO_ANSWER = "le serveur ne répond pas (apport serve est-il toujours lancé ?)";
    let checkFailure = "";   // why the last check of the form got no reading
    function notSaved(why) {  // never silent: the person clicked to save
      savedEl.className = "saved error";
      savedEl.textContent = "Non enregistré : " + why;
    }
    async function check() {
      const mine = ++sequence;
      let response;
      try {
        response = await post("/ui/form" + q, JSON.stringify({ fields: fields() }),
                              "application/json");
      } catch (e) {
        checkFailure = NO_ANSWER;
        return null;
      }
      if (!response.ok) {
        checkFailure = "erreur " + response.status + " en vérifiant le dossier";
        return null;
      }
      const reading = await response.json();
      if (mine === sequence) { // an answer to an older request is not shown, only returned
        last = reading;
        show(reading);
        refreshPreview();
      }
      return reading;
    }

    let previewSequence = 0;
    async function refreshPreview() {
      if (!last) return;
      const mine = ++previewSequence;
      const response = await post("/ui/preview/" + kind + q, last.yaml);
      const html = await response.text();
      if (mine !== previewSequence) return;
      if (response.ok || previewEl.dataset.kind !== kind) {
        previewEl.innerHTML = html; // made by the server from the Word file; every text escaped
        previewEl.dataset.kind = kind;
      }
      // With errors, the last good preview stays, marked as out of date.
      previewEl.dataset.state = response.ok ? "ready" : "invalid";
      previewNote.hidden = response.ok;
    }

    const later = debounce(check, DELAY);
    let dirty = false;     // changes not yet written to the file
    window.addEventListener("beforeunload", function (event) {
      if (dirty) event.preventDefault(); // the browser asks before losing them
    });
    function edited() {
      dirty = true;
      savedEl.textContent = "Modifications non enregistrées.";
      savedEl.className = "saved pending";
    }
    formEl.addEventListener("input", function (event) {
      if (event.target.name) touched.add(event.target.name);
      edited();
      later();
    });
    formEl.addEventListener("change", function (event) {
      if (event.target.name) touched.add(event.target.name);
      later();
    });

    function select(tab) {
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
      }
      previewEl.setAttribute("aria-labelledby", tab.id);
      kind = tab.dataset.kind;
      refreshPreview();
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(tab); });
      tab.addEventListener("keydown", function (event) {
        let next = null;
        if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        if (next) { event.preventDefault(); next.focus(); select(next); }
      });
    });

    async function save() {
      touchedAll = true;
      const reading = await check();
      if (!reading) {
        notSaved(checkFailure + ".");
        return;
      }
      if (root.dataset.handEdited === "true" && !window.confirm(
        document.getElementById("hand-edited").textContent + "\n\nEnregistrer quand même ?")) {
        return;
      }
      const headers = { "Content-Type": "text/plain; charset=utf-8" };
      if (isNew) headers["If-None-Match"] = "*";
      else if (etag) headers["If-Match"] = etag;
      let response;
      try {
        response = await fetch("/api/deals/" + encodeURIComponent(name) + "?lang=fr",
                               { method: "PUT", body: reading.yaml, headers: headers,
                                 credentials: "same-origin" });
      } catch (e) {
        notSaved(NO_ANSWER + ".");
        return;
      }
      if (!response.ok) {
        let why = "erreur " + response.status;
        try { why = (await response.json()).error || why; } catch (e) { /* not JSON */ }
        notSaved(why);
        if (response.status === 409) {  // changed on disk: offer to read it again
          const reload = document.createElement("button");
          reload.type = "button";
          reload.id = "reload";
          reload.textContent = "Recharger le fichier (vos modifications ici seront perdues)";
          reload.addEventListener("click", function () { dirty = false; location.reload(); });
          savedEl.append(" ", reload);
          reload.focus();
        }
        return;
      }
      dirty = false;
      root.dataset.handEdited = "false";
      const note = document.getElementById("hand-edited");
      if (note) note.remove();
      etag = response.headers.get("ETag");
      if (isNew) {
        isNew = false;
        history.replaceState(null, "", "/deals/" + encodeURIComponent(name));
      }
      savedEl.className = "saved ok";
      savedEl.textContent = "Enregistré dans " + root.dataset.path + (reading.errors
        ? " (avec des erreurs à corriger : aucun document n'est produit tant qu'il en reste)."
        : ".");
    }
    document.getElementById("save").addEventListener("click", save);

    for (const button of document.querySelectorAll("button.download")) {
      button.addEventListener("click", async function () {
        const reading = await check();
        if (!reading) return;
        const format = button.dataset.format;
        const wanted = button.dataset.kind;
        const url = format === "docx" ? "/api/documents/" + wanted + q + "&lang=fr"
          : format === "pdf" ? "/ui/pdf/" + wanted + q : "/ui/eml" + q;
        button.disabled = true;
        const before = statusEl.textContent;
        statusEl.textContent = "Préparation du document…";
        try {
          const response = await post(url, reading.yaml);
          if (!response.ok) {
            let why = "erreur " + response.status;
            try { const body = await response.json(); why = body.error || "le dossier a des erreurs"; } catch (e) { /* text */ }
            statusEl.className = "status error";
            statusEl.textContent = "Téléchargement impossible : " + why;
            return;
          }
          saveBlob(await response.blob(), fileName(response, name + "." + format));
          statusEl.textContent = before;
        } finally {
          button.disabled = false;
        }
      });
    }

    check();
  }

  // --- the deals page: build everything, with progress -----------------------------------
  function indexPage() {
    const bar = document.getElementById("build-progress");
    const summary = document.getElementById("build-summary");
    const list = document.getElementById("build-files");
    const buttons = [document.getElementById("build-all"), document.getElementById("build-redline")];

    function link(file, label) {
      const a = document.createElement("a");
      a.href = "/ui/out/" + encodeURIComponent(file);
      a.textContent = label || file;
      return a;
    }

    async function poll() {
      const response = await fetch("/ui/build", { credentials: "same-origin" });
      const state = await response.json();
      bar.hidden = false;
      bar.max = Math.max(state.total, 1);
      bar.value = state.done;
      if (state.running) {
        summary.textContent = "Production en cours : " + state.done + " / " + state.total;
        setTimeout(poll, 400);
        return;
      }
      buttons.forEach(function (b) { b.disabled = false; });
      const result = state.result;
      if (!result) return;
      summary.textContent = (result.ok ? "Terminé : " : "Terminé avec des problèmes : ") + result.summary;
      list.replaceChildren();
      for (const problem of result.problems) {
        const li = document.createElement("li");
        li.className = "msg error";
        li.textContent = problem;
        list.appendChild(li);
      }
      for (const doc of result.documents) {
        const li = document.createElement("li");
        li.appendChild(link(doc.name));
        li.appendChild(document.createTextNode(" — " + ({ built: "produit", unchanged: "inchangé",
          protected: "modifié à la main, laissé tel quel", failed: "échec" }[doc.status] || doc.status)));
        if (doc.redline) {
          li.appendChild(document.createTextNode(" — "));
          li.appendChild(link(doc.redline, "ouvrir les modifications"));
        }
        list.appendChild(li);
      }
    }

    buttons.forEach(function (button) {
      if (!button) return;
      button.addEventListener("click", async function () {
        buttons.forEach(function (b) { b.disabled = true; });
        summary.textContent = "Production en cours…";
        const redline = button.id === "build-redline" ? "?redline=1" : "";
        await fetch("/ui/build" + redline, { method: "POST", credentials: "same-origin" });
        poll();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const deal = document.getElementById("deal");
    if (deal) dealPage(deal);
    if (document.getElementById("build-all")) indexPage();
  });
})();
