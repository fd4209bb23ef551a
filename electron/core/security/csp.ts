/**
 * The one Content-Security-Policy both hosts send with the renderer. No eval, no
 * remote origins: scripts, workers (Monaco's included) and fonts come from the
 * app bundle. Inline styles stay allowed because Monaco and the grid set styles
 * at run time; inline script does not.
 */
export const rendererCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Headers every renderer response carries, on either host. */
export const securityHeaders: Record<string, string> = {
  'Content-Security-Policy': rendererCsp,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
};
