import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Interaction, PromptDetail } from 'oidc-provider';
import { ACR_OTP, ACR_PASSWORD } from '../acr.ts';
import { asksForOneTimeCode } from '../step-up.ts';
import { findAccountById, verifyPassword } from '../users.ts';
import type { Account } from '../users.ts';
import { CONTENT_SECURITY_POLICY } from './html.ts';
import { OneTimeCodes, printOneTimeCode } from './one-time-codes.ts';
import type { OneTimeCodeListener } from './one-time-codes.ts';
import { WRONG_CREDENTIALS, consentPage, errorPage, loginPage, oneTimeCodePage } from './views.ts';

export interface InteractionOptions {
  /** Where one-time codes go; by default they are printed on the console. */
  onOneTimeCode?: OneTimeCodeListener;
  /** Holds the codes waiting to be typed; tests pass one with their own clock. */
  oneTimeCodes?: OneTimeCodes;
}

/** What the handlers share besides the provider. */
interface Steps {
  provider: Provider;
  codes: OneTimeCodes;
  deliverCode: OneTimeCodeListener;
}

/**
 * The login and consent pages that replace oidc-provider's development
 * interactions (which accept any password). oidc-provider sends the browser to
 * `/interaction/<uid>` for both prompts; the pages post back to sub-paths of
 * that URL, where the interaction cookie is scoped.
 */
export function interactionRoutes(provider: Provider, options: InteractionOptions = {}): express.Router {
  const steps: Steps = {
    provider,
    codes: options.oneTimeCodes ?? new OneTimeCodes(),
    deliverCode: options.onOneTimeCode ?? printOneTimeCode,
  };
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  router.use('/interaction', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    next();
  });
  router.get('/interaction/:uid', (req, res) => showInteraction(steps, req, res));
  router.post('/interaction/:uid/login', form, (req, res) => submitLogin(steps, req, res));
  router.post('/interaction/:uid/otp', form, (req, res) => submitOneTimeCode(steps, req, res));
  router.post('/interaction/:uid/confirm', (req, res) => confirmConsent(provider, req, res));
  router.post('/interaction/:uid/abort', (req, res) => abortInteraction(provider, req, res));
  router.use('/interaction', showExpired);
  return router;
}

/** The page for the interaction's prompt: login (password, then a one-time code if asked for) or consent. */
async function showInteraction({ provider, codes }: Steps, req: Request, res: Response): Promise<void> {
  const interaction = await currentInteraction(provider, req, res);
  const clientName = await clientNameOf(provider, interaction);
  switch (interaction.prompt.name) {
    case 'login': {
      const accountId = codes.pendingAccount(interaction.uid);
      const page = accountId
        ? oneTimeCodePage({ uid: interaction.uid, clientName, userName: nameOf(accountId) })
        : loginPage({ uid: interaction.uid, clientName });
      res.type('html').send(page);
      return;
    }
    case 'consent':
      res.type('html').send(
        consentPage({
          uid: interaction.uid,
          clientName,
          userName: userNameOf(interaction),
          scopes: missingScopes(interaction.prompt.details),
        }),
      );
      return;
    default:
      res
        .status(400)
        .type('html')
        .send(
          errorPage(
            'Cannot continue',
            `This provider has no page for the "${interaction.prompt.name}" prompt.`,
          ),
        );
  }
}

/**
 * Checks the password; a wrong one shows the login page again with a notice.
 * A request that asked for ACR_OTP goes on to the one-time code; any other
 * sign-in ends here, at ACR_PASSWORD.
 */
async function submitLogin(steps: Steps, req: Request, res: Response): Promise<void> {
  const { provider } = steps;
  const interaction = await currentInteraction(provider, req, res, 'login');
  const username = typeof req.body?.username === 'string' ? req.body.username.trim() : '';
  const password = typeof req.body?.password === 'string' ? req.body.password : '';
  const account = await verifyPassword(username, password);
  if (!account) {
    const clientName = await clientNameOf(provider, interaction);
    res
      .status(401)
      .type('html')
      .send(loginPage({ uid: interaction.uid, clientName, username, error: WRONG_CREDENTIALS }));
    return;
  }
  if (asksForOneTimeCode(interaction.params)) {
    sendOneTimeCode(steps, interaction.uid, account);
    // POST-redirect-GET: the code page can be reloaded without posting the password again.
    res.redirect(303, `/interaction/${encodeURIComponent(interaction.uid)}`);
    return;
  }
  // OIDC Core §2 `acr` and `amr`: RFC 8176 "pwd" records that a password was checked.
  await finishLogin(provider, req, res, { accountId: account.id, acr: ACR_PASSWORD, amr: ['pwd'] });
}

function sendOneTimeCode({ codes, deliverCode }: Steps, interactionUid: string, account: Account): void {
  const code = codes.issue(interactionUid, account.id);
  deliverCode(account.id, code);
}

/**
 * The second step: the code sent for this sign-in. A wrong one shows the page
 * again; too many end the sign-in with access_denied; an expired one sends the
 * user back to the password (which issues a new code).
 */
async function submitOneTimeCode({ provider, codes }: Steps, req: Request, res: Response): Promise<void> {
  const interaction = await currentInteraction(provider, req, res, 'login');
  const typed = typeof req.body?.code === 'string' ? req.body.code : '';
  const checked = codes.check(interaction.uid, typed);
  const clientName = await clientNameOf(provider, interaction);
  switch (checked.outcome) {
    case 'accepted':
      // RFC 8176: "otp" for the one-time code, after "pwd" for the password.
      await finishLogin(provider, req, res, {
        accountId: checked.accountId,
        acr: ACR_OTP,
        amr: ['pwd', 'otp'],
      });
      return;
    case 'wrong': {
      const userName = nameOf(checked.accountId);
      const error = `That code is not right. ${attemptsLeftText(checked.attemptsLeft)}`;
      res
        .status(401)
        .type('html')
        .send(oneTimeCodePage({ uid: interaction.uid, clientName, userName, error }));
      return;
    }
    case 'exhausted':
      // RFC 6749 §4.1.2.1: the request is refused; the app may start a new sign-in.
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'Too many wrong one-time codes.' },
        { mergeWithLastSubmission: false },
      );
      return;
    case 'expired': {
      const notice = 'The one-time code has expired. Sign in again to get a new one.';
      res
        .status(401)
        .type('html')
        .send(loginPage({ uid: interaction.uid, clientName, notice }));
    }
  }
}

type LoginResult = { accountId: string; acr: string; amr: string[] };

/** Ends the login prompt; oidc-provider records `auth_time` as now (OIDC Core §2). */
async function finishLogin(
  provider: Provider,
  req: Request,
  res: Response,
  login: LoginResult,
): Promise<void> {
  await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
}

/**
 * Since oidc-provider 7 consent means saving a Grant with what was asked for
 * and is not yet granted; the grant id is the interaction's result.
 */
async function confirmConsent(provider: Provider, req: Request, res: Response): Promise<void> {
  const interaction = await currentInteraction(provider, req, res, 'consent');
  const { details } = interaction.prompt;
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params['client_id'];
  if (!accountId || typeof clientId !== 'string') {
    throw new errors.SessionNotFound('interaction has no signed-in account or client');
  }
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId });
  if (!grant) throw new errors.SessionNotFound('the grant this consent extends no longer exists');
  const missingScope = details['missingOIDCScope'] as string[] | undefined;
  const missingClaims = details['missingOIDCClaims'] as string[] | undefined;
  const missingResourceScopes = details['missingResourceScopes'] as Record<string, string[]> | undefined;
  if (missingScope) grant.addOIDCScope(missingScope.join(' '));
  if (missingClaims) grant.addOIDCClaims(missingClaims);
  for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function abortInteraction(provider: Provider, req: Request, res: Response): Promise<void> {
  await currentInteraction(provider, req, res);
  // RFC 6749 §4.1.2.1: the resource owner denied the request.
  await provider.interactionFinished(
    req,
    res,
    { error: 'access_denied', error_description: 'The user denied the request.' },
    { mergeWithLastSubmission: false },
  );
}

/** A page of a sign-in that is over (or another's) explains that instead of failing. */
function showExpired(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (!(error instanceof errors.SessionNotFound)) {
    next(error);
    return;
  }
  res
    .status(400)
    .type('html')
    .send(
      errorPage(
        'This sign-in has expired',
        'This page belongs to a sign-in that is over or has expired. Go back to the app and sign in again.',
      ),
    );
}

/**
 * The interaction named by the browser's interaction cookie, which must be the
 * one in the URL (a page left open from an earlier sign-in must not act on a
 * newer one) and, where given, be at the expected prompt.
 */
async function currentInteraction(
  provider: Provider,
  req: Request,
  res: Response,
  expectedPrompt?: string,
): Promise<Interaction> {
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== req.params['uid']) {
    throw new errors.SessionNotFound('interaction in the URL is not the current one');
  }
  if (expectedPrompt && interaction.prompt.name !== expectedPrompt) {
    throw new errors.SessionNotFound(
      `interaction is at the ${interaction.prompt.name} prompt, not ${expectedPrompt}`,
    );
  }
  return interaction;
}

async function clientNameOf(provider: Provider, interaction: Interaction): Promise<string> {
  const clientId = String(interaction.params['client_id']);
  const client = await provider.Client.find(clientId);
  return client?.clientName ?? clientId;
}

function userNameOf(interaction: Interaction): string {
  return nameOf(interaction.session?.accountId);
}

function nameOf(accountId: string | undefined): string {
  return (accountId && findAccountById(accountId)?.name) || 'you';
}

function attemptsLeftText(attemptsLeft: number): string {
  return attemptsLeft === 1 ? 'One attempt left.' : `${attemptsLeft} attempts left.`;
}

function missingScopes(details: PromptDetail['details']): string[] {
  const oidc = (details['missingOIDCScope'] as string[] | undefined) ?? [];
  const resources = Object.values(
    (details['missingResourceScopes'] as Record<string, string[]> | undefined) ?? {},
  );
  return [...new Set([...oidc, ...resources.flat()])];
}
