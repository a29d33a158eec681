import express from 'express';
import type { Router } from 'express';

/** The RP-Initiated Logout 1.0 §2 parameters handed on; anything else in the form is dropped. */
const LOGOUT_PARAMETERS = [
  'id_token_hint',
  'logout_hint',
  'client_id',
  'post_logout_redirect_uri',
  'state',
  'ui_locales',
] as const;

/**
 * RP-Initiated Logout 1.0 §2: "The OP MUST support the use of the HTTP GET
 * and POST methods" at the logout endpoint. oidc-provider takes POST only with
 * `enableHttpPostMethods`, which demands `SameSite=None` cookies and so https;
 * this provider runs on http://127.0.0.1. A posted logout form is therefore
 * handed to oidc-provider's GET handler here, on the server: the
 * `id_token_hint` never becomes a URL the browser shows or keeps, which is
 * why apps post it (electron-oidc's one-shot loopback page).
 */
export function logoutPostRoute(endSessionPath = '/session/end'): Router {
  const router = express.Router();
  router.post(
    endSessionPath,
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    (req, _res, next) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const query = new URLSearchParams();
      for (const name of LOGOUT_PARAMETERS) {
        const value = body[name];
        if (typeof value === 'string') query.set(name, value);
      }
      req.method = 'GET';
      req.url = `${endSessionPath}?${query}`;
      next();
    },
  );
  return router;
}
