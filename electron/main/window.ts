import type { Session, WebContents, WebPreferences } from 'electron';

export const APP_ORIGIN = 'app://tributary';

/** The only renderer settings Tributary runs with. */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** True for URLs of the app bundle itself (or the dev server while developing). */
export function isAppUrl(url: string, devServerUrl: string | undefined): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.origin === APP_ORIGIN || `${parsed.protocol}//${parsed.host}` === APP_ORIGIN) return true;
  return devServerUrl !== undefined && parsed.origin === new URL(devServerUrl).origin;
}

/**
 * Links that open in the system browser: https pages, and the master's web UIs
 * through a tunnel (http on loopback). Nothing else leaves the app.
 */
export function isExternalLink(url: string): boolean {
  return /^https:\/\//i.test(url) || /^http:\/\/(127\.0\.0\.1|localhost):\d+(\/|$)/i.test(url);
}

/** No navigation away from the bundle, no new windows, no webviews. */
export function hardenContents(contents: WebContents, devServerUrl: string | undefined, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** Camera, notifications, clipboard-read and the rest: always no. Requests to the network: only the bundle. */
export function hardenSession(session: Session, devServerUrl: string | undefined): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed =
      isAppUrl(details.url, devServerUrl) ||
      details.url.startsWith('devtools://') ||
      (devServerUrl !== undefined && details.url.startsWith('ws://'));
    callback({ cancel: !allowed });
  });
}
