import { EventEmitter } from 'node:events';
import type { Session, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { rendererCsp } from '../../electron/core/security/csp.js';
import { hardenContents, hardenSession, isAppUrl, secureWebPreferences } from '../../electron/main/window.js';

/*
 * The Electron binary cannot be downloaded on this machine, so these tests hand
 * the hardening functions minimal stand-ins for WebContents and Session that
 * record what the functions register. Everything else runs for real.
 */
class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | undefined;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.openHandler = handler;
  }
}

function navigate(contents: FakeContents, event: string, url: string): boolean {
  let prevented = false;
  contents.emit(event, { preventDefault: () => (prevented = true) }, url);
  return prevented;
}

describe('Electron window hardening', () => {
  it('runs renderers isolated, sandboxed, without Node', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({
      preload: '/p.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
    });
  });

  it('knows the bundle from everything else', () => {
    expect(isAppUrl('app://tributary/index.html', undefined)).toBe(true);
    expect(isAppUrl('app://other/index.html', undefined)).toBe(false);
    expect(isAppUrl('https://evil.example/', undefined)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', undefined)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', undefined)).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('not a url', undefined)).toBe(false);
  });

  it('blocks navigation, redirects and webviews away from the bundle; opens https links outside', () => {
    const contents = new FakeContents();
    const opened: string[] = [];
    hardenContents(contents as unknown as WebContents, undefined, (url) => opened.push(url));
    expect(navigate(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate(contents, 'will-redirect', 'http://evil.example/')).toBe(true);
    expect(navigate(contents, 'will-navigate', 'app://tributary/index.html')).toBe(false);
    expect(navigate(contents, 'will-attach-webview', 'app://tributary/')).toBe(true);
    expect(contents.openHandler?.({ url: 'https://docs.aws.amazon.com/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'http://127.0.0.1:41234/cluster' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'http://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'http://127.0.0.1.evil.example:80/' })).toEqual({ action: 'deny' });
    // Every window.open is denied inside the app; https pages and tunnelled web UIs go to the system browser.
    expect(opened).toEqual(['https://docs.aws.amazon.com/', 'http://127.0.0.1:41234/cluster']);
  });

  it('denies every permission and every request that is not the bundle', () => {
    const recorded: Record<string, (...args: never[]) => unknown> = {};
    const fakeSession = {
      setPermissionRequestHandler: (h: never) => (recorded.request = h),
      setPermissionCheckHandler: (h: never) => (recorded.check = h),
      setDevicePermissionHandler: (h: never) => (recorded.device = h),
      webRequest: { onBeforeRequest: (h: never) => (recorded.beforeRequest = h) },
    };
    hardenSession(fakeSession as unknown as Session, undefined);
    const answers: boolean[] = [];
    (recorded.request as unknown as (c: unknown, p: string, cb: (ok: boolean) => void) => void)(null, 'media', (ok) => answers.push(ok));
    expect(answers).toEqual([false]);
    expect((recorded.check as unknown as () => boolean)()).toBe(false);
    const cancel = (url: string) => {
      let result: { cancel: boolean } | undefined;
      (recorded.beforeRequest as unknown as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void)(
        { url },
        (r) => (result = r),
      );
      return result?.cancel;
    };
    expect(cancel('https://cdn.example/monaco.js')).toBe(true);
    expect(cancel('http://169.254.169.254/latest/meta-data/')).toBe(true);
    expect(cancel('app://tributary/assets/index.js')).toBe(false);
  });
});

describe('Content-Security-Policy', () => {
  it('allows no eval, no inline script and no remote origin', () => {
    const directives = Object.fromEntries(
      rendererCsp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(rendererCsp).not.toMatch(/unsafe-eval|wasm-unsafe-eval|https?:|\*/);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
  });
});
