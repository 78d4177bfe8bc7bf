/* The public report form: place (GPS or a tap), category, description, photos, contact.
 *
 * Photos are shrunk on the phone (longest side 1600 px, JPEG) before they are sent, so a
 * report stays small on a slow connection; the server checks them again. Nothing is sent
 * until the place and the category are chosen.
 */
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("wo-config").textContent);
  var T = JSON.parse(document.getElementById("wo-text").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var MAX_SIDE = 1600;
  var place = null;  // {lat, lng}
  var photos = [];   // Blobs ready to send
  // Read by the browser tests; nothing else depends on it.
  window.reportState = { placed: false, photos: 0, sent: null, error: null };

  var map = L.map("wo-map").setView(C.center, 13);
  if (C.basemap) {
    L.tileLayer(C.basemap.url, { attribution: C.basemap.attribution, maxZoom: C.basemap.maxZoom,
      subdomains: C.basemap.subdomains || "abc" }).addTo(map);
  }
  var marker = null, accuracy = null;

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function message(text) { $("wo-message").textContent = text || ""; }

  function choose(latlng, metres) {
    place = { lat: latlng.lat, lng: latlng.lng };
    if (marker) map.removeLayer(marker);
    if (accuracy) { map.removeLayer(accuracy); accuracy = null; }
    marker = L.circleMarker(latlng, { radius: 9, color: "#fff", weight: 2, fillColor: "#d32f2f",
      fillOpacity: 1 }).addTo(map);
    if (metres) {
      accuracy = L.circle(latlng, { radius: metres, color: "#d32f2f", weight: 1, fillOpacity: 0.08 })
        .addTo(map);
    }
    $("wo-where").textContent = T.chosen + ": " + latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5) +
      (metres ? " (" + T.accuracy + " " + Math.round(metres) + " " + T.metres + ")" : "");
    window.reportState.placed = true;
    message("");
  }
  map.on("click", function (e) { choose(e.latlng); });
  window.reportChoose = function (lat, lng) { choose(L.latLng(lat, lng)); };

  $("wo-locate").addEventListener("click", function () {
    if (!navigator.geolocation) { message(T.noGps); return; }
    message(T.locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(latlng, 17);
      choose(latlng, pos.coords.accuracy);
    }, function () { message(T.noGps); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });

  /* ---- photos: shrink on the phone --------------------------------------------------- */
  function shrink(file) {
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        if (scale === 1 && file.size <= C.maxBytes) { URL.revokeObjectURL(url); resolve(file); return; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  $("wo-photos").addEventListener("change", function () {
    var files = Array.prototype.slice.call(this.files);
    if (files.length > C.maxPhotos) {
      message(T.tooMany + " " + C.maxPhotos);
      files = files.slice(0, C.maxPhotos);
    } else {
      message("");
    }
    Promise.all(files.map(shrink)).then(function (blobs) {
      photos = blobs;
      $("wo-previews").innerHTML = "";
      blobs.forEach(function (b) {
        var img = document.createElement("img");
        img.alt = "";
        img.src = URL.createObjectURL(b);
        $("wo-previews").appendChild(img);
      });
      window.reportState.photos = blobs.length;
    });
  });

  function sha256(blob) {
    if (!(window.crypto && crypto.subtle)) return Promise.resolve(null);  // plain HTTP
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest("SHA-256", buf); })
      .then(function (hash) {
        return Array.prototype.map.call(new Uint8Array(hash), function (x) {
          return (x + 256).toString(16).slice(1);
        }).join("");
      });
  }

  /* ---- sending ----------------------------------------------------------------------- */
  $("wo-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var category = document.querySelector("input[name=category]:checked");
    var description = $("wo-description").value.trim();
    if (!place) { message(T.noPlace); return; }
    if (!category) { message(T.noCategory); return; }
    if (!description && !photos.length) { message(T.noText); return; }
    if (photos.some(function (p) { return p.size > C.maxBytes; })) { message(T.tooBig); return; }
    var body = new FormData();
    body.append("category", category.value);
    body.append("lon", place.lng.toFixed(7));
    body.append("lat", place.lat.toFixed(7));
    body.append("datum", "wgs84");
    body.append("description", description);
    body.append("address", $("wo-address").value.trim());
    body.append("name", $("wo-name").value.trim());
    body.append("phone", $("wo-phone").value.trim());
    $("wo-submit").disabled = true;
    message(T.sending);
    Promise.all(photos.map(sha256)).then(function (sums) {
      photos.forEach(function (p, i) {
        body.append("photos", p, "photo-" + (i + 1) + ".jpg");
        if (sums[i]) body.append("photo_sha256", sums[i]);
      });
      return fetch(C.api, { method: "POST", body: body, credentials: "omit",
                            headers: { Accept: "application/json" } });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw data;
        return data;
      });
    }).then(function (data) {
      window.reportState.sent = data.code;
      message("");
      var done = $("wo-done");
      done.innerHTML = "<p>" + esc(T.sent) + " <strong id='wo-code'>" + esc(data.code) + "</strong></p>" +
        "<p>" + esc(T.status) + ": " + esc(data.status_label) + " · " + esc(data.category_label) +
        (data.subdistrict ? " · " + esc(data.subdistrict) : "") + "</p>" +
        "<p><a href='" + esc(data.track_url) + "'>" + esc(T.track) + "</a></p>";
      done.hidden = false;
      $("wo-form").querySelectorAll("fieldset, #wo-submit").forEach(function (n) { n.hidden = true; });
      done.scrollIntoView();
    }).catch(function (error) {
      var text = error && error.description ? error.description : T.offline;
      window.reportState.error = text;
      message(T.failed + " " + text);
      $("wo-submit").disabled = false;
    });
  });
})();
