// sw.js: shows Pushdeck's Web Push payload as sent.
self.addEventListener('push', (event) => {
  let p = {};
  try { p = event.data ? event.data.json() : {}; } catch (e) { p = { body: event.data.text() }; }
  const lang = (navigator.language || 'en').slice(0, 2);
  const t = (p.translations && p.translations[lang]) || {};
  event.waitUntil(self.registration.showNotification(t.title || p.title || 'Notification', {
    body: t.body || p.body || '',
    icon: p.icon,
    image: p.image,
    actions: p.actions || [],
    silent: !!p.silent,
    data: { url: p.url, actions: p.actions || [], data: p.data || {} },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const d = event.notification.data || {};
  const action = (d.actions || []).find((a) => a.action === event.action);
  const url = (action && action.url) || d.url;
  if (url) event.waitUntil(clients.openWindow(url));
});
