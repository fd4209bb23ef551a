import { useEffect } from 'react';

/** The web host's page opened without its launch token: say where the token is, open no socket. */
export function TokenNeeded() {
  // Pasting the printed address into this tab changes only the fragment, which does not reload the page.
  useEffect(() => {
    const reload = () => /[#&]token=/.test(location.hash) && location.reload();
    window.addEventListener('hashchange', reload);
    return () => window.removeEventListener('hashchange', reload);
  }, []);
  return (
    <main className="content">
      <h1>Tributary needs its launch token</h1>
      <p>
        Open the address that <code>npm start</code> or <code>npm run serve</code> printed; it ends in <code>#token=…</code>.
      </p>
    </main>
  );
}
