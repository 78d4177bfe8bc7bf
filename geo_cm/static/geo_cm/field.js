/* Field app: assets near the phone, status changes with note and photos.
 *
 * Every change goes into an outbox in IndexedDB first and is sent from there, so a change
 * made without signal waits on the phone and leaves when the network is back. Each carries
 * the version it started from (If-Match) and its own Idempotency-Key: a retry after a lost
 * answer never makes a second change, and a stale change gets a 412 that is shown to the
 * user with what changed in between.
 */
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("field-config").textContent);
  var T = JSON.parse(document.getElementById("field-text").textContent);
  var PLURALS = JSON.parse(document.getElementById("field-plurals").textContent);
  // A counted phrase in the language's form for n ("1 minute ago", "5 minutes ago").
  function count(key, n) { return (n === 1 ? PLURALS[key].one : PLURALS[key].many).replace("%(n)s", n); }
  // Task sources (geo_cm.field.tasks): work waiting for this user, e.g. open work orders.
  var SOURCES = JSON.parse((document.getElementById("field-tasks") || { textContent: "[]" }).textContent);
  var $ = function (id) { return document.getElementById(id); };
  var state = { position: null, current: null, sending: false };
  // Read by the browser tests; nothing else depends on it.
  window.fieldState = { queued: 0, sent: [], conflicts: [], errors: [], listed: 0, tasks: 0,
                        tasksFrom: null };

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(C.sw, { scope: "/field/" }).catch(function () {});
  }

  /* ---- IndexedDB outbox ------------------------------------------------------------ */
  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open("geocm-field", 2);
    open.onupgradeneeded = function (event) {
      if (event.oldVersion < 1) {
        open.result.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      }
      // The last task list and the tasks' details, kept for opening them without signal.
      if (event.oldVersion < 2) open.result.createObjectStore("cache");
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  function tx(mode, work, store) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store || "outbox", mode);
        var result = work(t.objectStore(store || "outbox"));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  var outboxAdd = function (item) { return tx("readwrite", function (s) { return s.add(item); }); };
  var outboxAll = function () { return tx("readonly", function (s) { return s.getAll(); }); };
  var outboxDelete = function (seq) { return tx("readwrite", function (s) { return s.delete(seq); }); };
  var outboxPut = function (item) { return tx("readwrite", function (s) { return s.put(item); }); };
  var cachePut = function (key, value) {
    return tx("readwrite", function (s) { return s.put(value, key); }, "cache").catch(function () {});
  };
  var cacheGet = function (key) { return tx("readonly", function (s) { return s.get(key); }, "cache"); };

  // Changes the server refused stay on the phone with their note and photos until the
  // user has read why and discards them: nothing typed or photographed is lost silently.
  function showOutbox() {
    return outboxAll().then(function (items) {
      var waiting = items.filter(function (i) { return !i.refused; });
      var refused = items.filter(function (i) { return i.refused; });
      window.fieldState.queued = waiting.length;
      window.fieldState.refused = refused.length;
      $("f-outbox").textContent = waiting.length ? waiting.length + " " + T.waiting : "";
      var box = $("f-refused");
      box.hidden = !refused.length;
      box.innerHTML = refused.length ? "<h3>" + esc(T.refusedTitle) + "</h3><ul>" +
        refused.map(function (i) {
          return "<li data-seq='" + i.seq + "'><strong>" + esc(i.title || (i.layer + " " + i.pk)) +
            "</strong> → " + esc(i.statusLabel || i.status) + "<br><span class='why'>" + esc(i.reason) +
            "</span>" + (i.note ? "<br>" + esc(T.note) + ": <q>" + esc(i.note) + "</q>" : "") +
            (i.photos.length ? "<br>" + esc(count("photosKept", i.photos.length)) : "") +
            "<br><button type='button' class='discard'>" + esc(T.discard) + "</button></li>";
        }).join("") + "</ul>" : "";
      Array.prototype.forEach.call(box.querySelectorAll("button.discard"), function (b) {
        b.onclick = function () {
          outboxDelete(+b.closest("li").dataset.seq).then(showOutbox);
        };
      });
    });
  }

  function showNetwork() {
    $("f-net").textContent = navigator.onLine ? T.online : T.offline;
    $("f-net").className = navigator.onLine ? "net" : "net off";
  }

  // A toast at the top of the screen: seen on a phone whatever the page's scroll.
  var toastTimer = null;
  function message(text, kind) {
    var box = $("f-message");
    box.textContent = text;
    box.className = "message toast" + (kind ? " " + kind : "");
    box.hidden = !text;
    clearTimeout(toastTimer);
    if (text) toastTimer = setTimeout(function () { box.hidden = true; }, kind === "error" ? 12000 : 5000);
  }

  // Local wall-clock time in Asia/Shanghai (the phone may be set to another zone).
  var clockFormat = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  function localTime(iso) { return iso ? clockFormat.format(new Date(iso)) : ""; }
  function age(iso) {
    var minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 1) return T.justNow;
    if (minutes < 60) return count("minutesAgo", minutes);
    if (minutes < 48 * 60) return count("hoursAgo", Math.floor(minutes / 60));
    return count("daysAgo", Math.floor(minutes / 1440));
  }
  function changeText(rows, changes) {
    if (rows) {
      return rows.map(function (r) { return r.label + ": " + r.before + " → " + r.after; }).join("; ");
    }
    return Object.keys(changes || {}).map(function (k) {
      return k + ": " + changes[k][0] + " → " + changes[k][1];
    }).join("; ");
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  function sha256(blob) {
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest("SHA-256", buf); })
      .then(function (hash) {
        return Array.prototype.map.call(new Uint8Array(hash), function (x) {
          return (x + 256).toString(16).slice(1);
        }).join("");
      });
  }

  /* ---- sending --------------------------------------------------------------------- */
  function send(item) {
    var body = new FormData();
    body.append("status", item.status);
    body.append("note", item.note);
    if (item.lon != null) { body.append("lon", item.lon); body.append("lat", item.lat); }
    if (item.assetStatus) body.append("asset_status", item.assetStatus);
    item.photos.forEach(function (p, i) {
      body.append("photos", p, "photo-" + (i + 1));
      body.append("photo_sha256", item.sums[i]);
    });
    return fetch(item.url || C.assetBase + item.layer + "/" + item.pk + "/status", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "If-Match": '"' + item.version + '"', "Idempotency-Key": item.key,
                 "X-CSRFToken": C.csrf, Accept: "application/json" }
    });
  }

  function flush() {
    if (state.sending) return Promise.resolve();
    state.sending = true;
    return outboxAll().then(function (items) {
      return items.filter(function (i) { return !i.refused; }).reduce(function (chain, item) {
        return chain.then(function () {
          return send(item).then(function (response) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              if (response.ok) {
                window.fieldState.sent.push(item.key);
                message(T.sent, "ok");
                if (state.current && state.current.layer === item.layer && state.current.id === item.pk) {
                  render(body);
                }
                if (item.url) { cachePut(item.detailUrl, body); listTasks(); }
              } else if (response.status === 412) {
                window.fieldState.conflicts.push(item.key);
                showConflict(item, body);
                item.refused = true;  // kept (note, photos) until redone or discarded
                item.reason = body.description || T.conflict;
                return outboxPut(item);
              } else if (response.status === 401 || response.status === 403 && !body.description) {
                throw new Error("auth");  // keep it queued until the user logs in again
              } else {
                // Refused (outside the work area, a status no longer allowed...): keep the
                // note and photos on the phone and say why, instead of dropping them.
                var reason = body.description || String(response.status);
                window.fieldState.errors.push(reason);
                message(T.failed + " " + reason, "error");
                item.refused = true;
                item.reason = reason;
                return outboxPut(item);
              }
              return outboxDelete(item.seq);
            });
          });
        });
      }, Promise.resolve());
    }).catch(function () { /* offline or server away: the items stay queued */ })
      .then(function () { state.sending = false; return showOutbox(); });
  }

  function showConflict(item, body) {
    var box = $("f-conflict");
    var since = (body.changes_since || []).map(function (c) {
      var what = changeText(c.change_rows, c.changes);
      return "<li>" + esc(c.at_text || localTime(c.at)) + " · " + esc(c.user) + " · " +
        esc(what) + (c.note ? " · " + esc(c.note) : "") + "</li>";
    }).join("");
    box.innerHTML = "<p>" + esc(body.description || "") + "</p><p>" + T.conflict + "</p><ul>" +
      since + "</ul><button type='button' id='f-redo'>" + T.redo + "</button>";
    box.hidden = false;
    $("f-redo").onclick = function () {
      openDetail(item.detailUrl || C.assetBase + item.layer + "/" + item.pk).then(function () {
        $("f-note").value = item.note;
        state.redo = item;  // its photos go with the redone change; then it is dropped
        var radio = document.querySelector("#f-next input[value='" + item.status + "']");
        if (radio) radio.checked = true;
      });
    };
  }

  /* ---- list and map ---------------------------------------------------------------- */
  var map = L.map("f-map").setView([32.06, 118.63], 13);
  var basemap = JSON.parse($("f-basemap").textContent);
  if (basemap) {
    L.tileLayer(basemap.url, { attribution: basemap.attribution, maxZoom: basemap.maxZoom,
      subdomains: basemap.subdomains || "abc" }).addTo(map);
  }
  var markers = L.layerGroup().addTo(map);
  window.fieldMap = map;  // read by the browser tests (what is in view)
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    // Folded on a phone (it would hide the markers), open on a desktop; a tap toggles it.
    var div = L.DomUtil.create("div", "field-legend leaflet-control" +
      (window.innerWidth < 600 ? " folded" : ""));
    L.DomEvent.disableClickPropagation(div);
    div.innerHTML = "<button type='button' class='legend-toggle' aria-label='" + esc(T.legend) + "'>" +
      esc(T.legend) + "</button><div><i class='dot'></i>" + esc(T.legendAsset) + "</div>" +
      "<div><i class='dot out'></i>" + esc(T.legendOut) + "</div>" +
      (SOURCES.length ? "<div><i class='ring'></i>" + esc(T.legendTask) + "</div>" : "") +
      "<div><i class='ring here'></i>" + esc(T.legendHere) + "</div>";
    div.querySelector(".legend-toggle").onclick = function () { div.classList.toggle("folded"); };
    return div;
  };
  legend.addTo(map);
  var taskMarkers = L.layerGroup().addTo(map);
  var here = null;

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function assetHtml(a, i) {
    return "<li class='" + (a.in_scope === false ? "out" : "in") + "'><button type='button' data-i='" + i +
      "'><span class='what'><span class='swatch' style='background:" + esc(a.color) + "'></span>" +
      esc(a.layer_title) + " " + esc(a.code) + " " + esc(a.name) + "</span><span class='meta'>" +
      "<span class='status-pill' style='border-color:" + esc(a.color) + "'>" + esc(a.status_label) +
      "</span> · " + Math.round(a.distance_m) + " " + T.away +
      (a.subdistrict ? " · " + esc(a.subdistrict) : "") +
      (a.in_scope === false ? " · <span class='ro'>" + esc(T.readOnly) + "</span>" : "") +
      "</span></button></li>";
  }

  function showAssets(assets, cached) {
    markers.clearLayers();
    $("f-list").innerHTML = assets.map(function (a, i) {
      L.circleMarker([a.lat, a.lon], { radius: 6, color: a.in_scope === false ? "#9e9e9e" : "#222",
        weight: 1, fillColor: a.color, fillOpacity: a.in_scope === false ? 0.45 : 0.9 })
        .on("click", function () { openAsset(a.layer, a.id); }).addTo(markers);
      return assetHtml(a, i);
    }).join("");
    $("f-hint").textContent = assets.length ? "" : T.none;
    $("f-cached").hidden = !cached;
    if (cached) {
      $("f-cached").textContent = T.cachedList.replace("{time}", localTime(cached))
        .replace("{age}", age(cached));
    }
    Array.prototype.forEach.call($("f-list").querySelectorAll("button"), function (b) {
      var a = assets[+b.dataset.i];
      b.onclick = function () { openAsset(a.layer, a.id); };
    });
    window.fieldState.listed = assets.length;
    window.fieldState.listFrom = cached ? "cache" : "network";
    // Frame the listed assets and the position they were listed around.
    var bounds = markers.getLayers().length ? L.featureGroup(markers.getLayers()).getBounds() : null;
    if (state.position) bounds = bounds ? bounds.extend(state.position) : L.latLngBounds(state.position, state.position);
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17, animate: false });
  }

  // Keep the nearby assets of the user's own work area (and their details) on the phone,
  // so that after a reload without signal they can still be listed and opened.
  function keepNearby(assets, latlng) {
    var mine = assets.filter(function (a) { return a.in_scope !== false; });
    var at = new Date().toISOString();
    cachePut("nearby", { at: at, lat: latlng.lat, lng: latlng.lng, assets: mine });
    mine.slice(0, 40).forEach(function (a) {
      var url = C.assetBase + a.layer + "/" + a.id;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (r.ok) return r.json().then(function (d) { d.cached_at = at; cachePut(url, d); }); })
        .catch(function () {});
    });
  }

  function showKeptNearby() {
    return cacheGet("nearby").then(function (kept) {
      if (!kept) { message(T.offlineNothing, "error"); return; }
      if (!state.position) {
        state.position = L.latLng(kept.lat, kept.lng);
        map.setView(state.position, 16);
      }
      showAssets(kept.assets, kept.at);
    }).catch(function () { message(T.offline, "error"); });
  }

  function listNear(latlng) {
    state.position = latlng;
    if (here) map.removeLayer(here);
    here = L.circleMarker(latlng, { radius: 7, color: "#d32f2f" }).addTo(map);
    var url = C.nearby + "?near=" + latlng.lng.toFixed(6) + "," + latlng.lat.toFixed(6) + "&radius=1000";
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (data) {
        showAssets(data.assets, null);
        keepNearby(data.assets, latlng);
      }).catch(showKeptNearby)
      .then(listTasks);
  }

  /* ---- tasks (open work orders), soonest deadline first, kept for offline use ------- */
  function taskHtml(t, i) {
    return "<li><button type='button' data-t='" + i + "'><span class='swatch' style='background:" +
      esc(t.color) + "'></span>" + esc(t.title) + " · " + esc(t.status_label) + " · " +
      (t.overdue ? "<strong class='overdue'>" + T.overdue + "</strong> " : T.due + " ") +
      esc(localTime(t.deadline).slice(5)) +
      (t.distance_m != null ? " · " + Math.round(t.distance_m) + " " + T.away : "") + "</button></li>";
  }

  function showTasks(list, cachedAt) {
    list.sort(function (a, b) { return (a.deadline || "").localeCompare(b.deadline || ""); });
    $("f-tasks").innerHTML = list.map(taskHtml).join("");
    $("f-tasks-count").textContent = "(" + list.length + ")";
    $("f-tasks-note").textContent = cachedAt ? T.cached + " " + localTime(cachedAt) + " (" + age(cachedAt) + ")"
      : (list.length ? "" : T.noTasks);
    Array.prototype.forEach.call($("f-tasks").querySelectorAll("button"), function (b) {
      b.onclick = function () { openDetail(list[+b.dataset.t].detail_url); };
    });
    // On the map: rings, so tasks stand apart from the assets' filled dots.
    taskMarkers.clearLayers();
    list.forEach(function (t) {
      L.circleMarker([t.lat, t.lon], { radius: 8, color: t.color, weight: 3, fillColor: "#fff",
        fillOpacity: 0.6 }).bindTooltip(t.title).on("click", function () { openDetail(t.detail_url); })
        .addTo(taskMarkers);
    });
    window.fieldState.tasks = list.length;
    window.fieldState.tasksFrom = cachedAt ? "cache" : "network";
  }

  function listTasks() {
    if (!SOURCES.length) return Promise.resolve();
    var near = state.position ? "?near=" + state.position.lng.toFixed(6) + "," +
      state.position.lat.toFixed(6) : "";
    return Promise.all(SOURCES.map(function (source) {
      return fetch(source.nearby + near, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw r; return r.json(); })
        .then(function (data) { return data.tasks; });
    })).then(function (lists) {
      var all = [].concat.apply([], lists);
      showTasks(all, null);
      cachePut("tasks", { at: new Date().toISOString(), tasks: all });
      // Their details too, so each can be opened and handled without signal.
      all.slice(0, 50).forEach(function (t) {
        fetch(t.detail_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { if (r.ok) return r.json().then(function (d) { cachePut(t.detail_url, d); }); })
          .catch(function () {});
      });
    }).catch(function () {
      return cacheGet("tasks").then(function (kept) { if (kept) showTasks(kept.tasks, kept.at); });
    });
  }

  /* ---- one asset or task ----------------------------------------------------------- */
  function openDetail(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .catch(function () {
        return cacheGet(url).then(function (kept) { if (!kept) throw new Error("offline"); return kept; });
      })
      .then(function (detail) { $("f-conflict").hidden = true; render(detail); })
      .catch(function () { message(T.offline); });
  }
  function openAsset(layer, pk) { return openDetail(C.assetBase + layer + "/" + pk); }

  function render(detail) {
    state.current = detail;
    $("f-list-view").hidden = true;
    $("f-asset-view").hidden = false;
    $("f-title").textContent = detail.layer_title + " " + detail.code + (detail.name ? " " + detail.name : "");
    $("f-status").textContent = detail.status_label;
    if (detail.color) $("f-status").style.borderColor = detail.color;
    // Whether this user may change it is said first, before any field can be touched.
    var scope = $("f-scope");
    var editable = detail.editable !== false;
    scope.hidden = !detail.scope;
    if (detail.scope) {
      scope.textContent = detail.scope.text;
      scope.className = "scope " + (editable ? "in" : "out");
    }
    $("f-form").hidden = !editable;
    $("f-cached-detail").hidden = !detail.cached_at || navigator.onLine;
    if (detail.cached_at) {
      $("f-cached-detail").textContent = T.cachedDetail.replace("{time}", localTime(detail.cached_at))
        .replace("{age}", age(detail.cached_at));
    }
    $("f-props").innerHTML = detail.properties.map(function (p) {
      return "<dt>" + esc(p.label) + "</dt><dd>" + esc(p.value == null ? "—" : p.value) + "</dd>";
    }).join("");
    var next = $("f-next");
    next.querySelectorAll("label, p").forEach(function (n) { n.remove(); });
    if (!detail.next_statuses.length) {
      var p = document.createElement("p"); p.textContent = T.noNext; next.appendChild(p);
    }
    detail.next_statuses.forEach(function (s) {
      var label = document.createElement("label");
      label.innerHTML = "<input type='radio' name='status' value='" + esc(s.value) + "'> " + esc(s.label);
      next.appendChild(label);
    });
    var offer = $("f-asset-next");
    offer.querySelectorAll("label").forEach(function (n) { n.remove(); });
    offer.hidden = !detail.asset;
    if (detail.asset) {
      var a = detail.asset;
      $("f-asset-legend").textContent = T.alsoSet + " " + a.layer_title + " " + a.code + " (" +
        T.now + ": " + a.status_label + ")";
      [{ value: "", label: T.noChange }].concat(a.next_statuses).forEach(function (s) {
        var label = document.createElement("label");
        label.innerHTML = "<input type='radio' name='asset_status' value='" + esc(s.value) + "'" +
          (s.value === "" ? " checked" : "") + "> " + esc(s.label);
        offer.appendChild(label);
      });
    }
    $("f-history").innerHTML = detail.history.map(function (h) {
      var what = changeText(h.change_rows, h.changes);
      return "<li>" + esc(h.at_text || localTime(h.at)) + " · " + esc(h.user) + " · " +
        esc(h.action) + (what ? " · " + esc(what) : "") + (h.note ? " · " + esc(h.note) : "") +
        h.photos.map(function (u) { return "<img alt='' src='" + esc(u) + "'>"; }).join("") + "</li>";
    }).join("");
  }

  $("f-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var detail0 = state.current;
    if (!detail0 || detail0.editable === false) {
      message(detail0 && detail0.scope ? detail0.scope.text : T.readOnly, "error");
      return;
    }
    var chosen = document.querySelector("#f-next input[name=status]:checked");
    if (!chosen) { message(T.chooseStatus, "error"); return; }
    var files = Array.prototype.slice.call($("f-photos").files);
    var detail = state.current;
    var redo = state.redo && state.redo.layer === detail.layer && state.redo.pk === detail.id ? state.redo : null;
    if (redo && !files.length) files = redo.photos;
    state.redo = null;
    Promise.all(files.map(sha256)).then(function (sums) {
      var assetChoice = document.querySelector("#f-asset-next input[name=asset_status]:checked");
      return outboxAdd({
        key: uuid(), layer: detail.layer, pk: detail.id, version: detail.version,
        url: detail.action_url || null, detailUrl: detail.detail_url || null,
        assetStatus: detail.asset && assetChoice ? assetChoice.value : "",
        status: chosen.value, note: $("f-note").value, photos: files, sums: sums,
        title: detail.layer_title + " " + detail.code,
        statusLabel: chosen.parentNode.textContent.trim(),
        lon: state.position ? state.position.lng : null, lat: state.position ? state.position.lat : null,
        created: new Date().toISOString()
      });
    }).then(function () {
      return redo ? outboxDelete(redo.seq) : null;
    }).then(function () {
      $("f-note").value = ""; $("f-photos").value = "";
      message(navigator.onLine ? T.sending : T.queued, "ok");
      return showOutbox();
    }).then(flush);
  });

  $("f-back").onclick = function () {
    $("f-asset-view").hidden = true; $("f-list-view").hidden = false; state.current = null;
    if (state.position) listNear(state.position); else listTasks();
  };
  $("f-locate").onclick = function () {
    if (!navigator.geolocation) { message(T.noGps); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(latlng, 16);
      listNear(latlng);
    }, function () { message(T.noGps); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
  };
  map.on("click", function (e) { listNear(e.latlng); });
  window.fieldListNear = function (lat, lng) { return listNear(L.latLng(lat, lng)); };

  window.addEventListener("online", function () { showNetwork(); flush(); });
  window.addEventListener("offline", showNetwork);
  setInterval(flush, 15000);
  showNetwork();
  showOutbox().then(flush);
  if (!navigator.onLine) showKeptNearby();
  listTasks();
})();
