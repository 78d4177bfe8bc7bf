/* Field app service worker: keeps the app shell on the phone so it opens without signal.
   API calls are not cached here; the page queues writes in IndexedDB itself. */
{% load static %}
var CACHE = "geocm-field-v2";
var SHELL = [
  "{% url 'field-app' %}",
  "{% static 'geo_cm/field.js' %}",
  "{% static 'geo_cm/field.css' %}",
  "{% static 'geo_cm/base.css' %}",
  "{% static 'geo_cm/base.js' %}",
  "{% static 'leaflet/leaflet.js' %}",
  "{% static 'leaflet/leaflet.css' %}"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || request.url.indexOf("/api/") !== -1) return;
  // Network first (fresh pages and assets when there is signal), the cache otherwise.
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && SHELL.some(function (path) { return request.url.endsWith(path); })) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { ignoreSearch: true });
  }));
});
