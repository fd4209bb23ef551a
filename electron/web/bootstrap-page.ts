import { createHash } from 'node:crypto';

/**
 * The body of a 401 to a browser. The token travels in the URL fragment, which
 * browsers never send, so this page reads it, trades it for an HttpOnly
 * same-site cookie at /session, and reloads into the app.
 */
const script = `(function () {
  var m = /[#&]token=([A-Za-z0-9_-]+)/.exec(location.hash);
  var say = function (text) { document.getElementById('why').textContent = text; };
  if (!m) return;
  if (sessionStorage.getItem('tributary.bootstrap') === m[1]) {
    say('The token in this address was refused. Use the address printed by the latest launch.');
    return;
  }
  sessionStorage.setItem('tributary.bootstrap', m[1]);
  fetch('/session', { method: 'POST', headers: { Authorization: 'Bearer ' + m[1] } }).then(function (r) {
    if (r.ok) location.reload();
    else say('This token is not valid for this launch. Use the address printed by the latest launch.');
  });
})();`;

const scriptHash = createHash('sha256').update(script).digest('base64');

export const bootstrapCsp = `default-src 'none'; script-src 'sha256-${scriptHash}'; connect-src 'self'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function bootstrapPage(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tributary: launch token needed</title><link rel="icon" href="data:,"></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem; max-width: 40rem">
<main>
<h1>Tributary needs its launch token</h1>
<p id="why">${escapeHtml(message)}</p>
<p>Open the address that <code>npm start</code> or <code>npm run serve</code> printed; it ends in <code>#token=…</code>.</p>
</main>
<script>${script}</script>
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
