/**
 * The renderer: a small UI over `window.auth` (the preload's bridge). It makes
 * no network request and holds no token; everything it shows came through the
 * bridge as plain, sanitized data, and is written with textContent, never as
 * HTML.
 */
import type {
  AuthBridge,
  BridgeAccount,
  BridgeError,
  BridgeProfile,
  BridgeResult,
  BridgeSessionState,
  PrivateMessage,
} from 'electron-oidc/bridge';
import { createAccountSwitcher, displayNameOf, initialsOf, isDataImage } from './account-switcher.ts';

declare global {
  interface Window {
    readonly auth: AuthBridge;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element as T;
}

const views: Record<BridgeSessionState | 'loading', HTMLElement> = {
  loading: byId('view-loading'),
  'signed-out': byId('view-signed-out'),
  restoring: byId('view-restoring'),
  'signing-in': byId('view-signing-in'),
  'signed-in': byId('view-signed-in'),
  offline: byId('view-offline'),
};

const ui = {
  status: byId<HTMLParagraphElement>('status'),
  account: byId('account'),
  accountAvatar: byId('account-avatar'),
  accountPicture: byId<HTMLImageElement>('account-picture'),
  accountInitials: byId('account-initials'),
  accountName: byId('account-name'),
  accountEmail: byId('account-email'),
  accountButton: byId<HTMLButtonElement>('account-button'),
  accountMenu: byId('account-menu'),
  accountError: byId('account-error'),
  greetingName: byId('greeting-name'),
  signIn: byId<HTMLButtonElement>('sign-in'),
  signInError: byId('sign-in-error'),
  cancel: byId<HTMLButtonElement>('cancel'),
  logout: byId<HTMLButtonElement>('logout'),
  getMessage: byId<HTMLButtonElement>('get-private-message'),
  getSensitive: byId<HTMLButtonElement>('get-sensitive-message'),
  stepUpNotice: byId('step-up-notice'),
  stepUpTitle: byId('step-up-title'),
  stepUpText: byId('step-up-text'),
  stepUp: byId<HTMLButtonElement>('step-up'),
  message: byId('private-message'),
  messageText: byId('private-message-text'),
  messageError: byId('message-error'),
  retry: byId<HTMLButtonElement>('retry'),
  retryError: byId('retry-error'),
};

const STATUS_TEXT: Record<BridgeSessionState, string> = {
  'signed-out': 'You are signed out.',
  restoring: 'Signing you in with your saved session.',
  'signing-in': 'Waiting for you to sign in in your browser.',
  'signed-in': 'You are signed in.',
  offline: 'You are offline. The app keeps trying to reconnect.',
};

let shown: BridgeSessionState | 'loading' = 'loading';
/** Bumped on every state or account change, so a slow profile answer cannot paint over a newer one. */
let generation = 0;
/** The accounts on this device, as last pushed. */
let accounts: readonly BridgeAccount[] = [];
/** The active account's profile, once read (signed in or offline). */
let profile: BridgeProfile | undefined;
/** Accounts the user asked to sign out of: their leaving the list is no news. */
const removing = new Set<string>();

function announce(text: string): void {
  ui.status.textContent = text;
}

function showNotice(element: HTMLElement, error: BridgeError | undefined): void {
  element.textContent = error?.message ?? '';
  element.hidden = error === undefined;
}

function setBusy(button: HTMLButtonElement, busy: boolean): void {
  button.disabled = busy;
  button.setAttribute('aria-busy', String(busy));
}

function activeAccount(): BridgeAccount | undefined {
  return accounts.find((account) => account.active);
}

/**
 * The header: the active account (its profile once read, else what the list
 * remembers of it) on the switcher's button, shown whenever an account is
 * listed, even one whose session is signed out, so the others stay one click away.
 */
function paintHeader(): void {
  const active = activeAccount();
  const person = profile ?? active;
  ui.account.hidden = person === undefined && accounts.length === 0;
  ui.greetingName.textContent =
    person === undefined ? 'there' : (person.name?.split(/\s+/)[0] ?? displayNameOf(person));
  if (person === undefined) {
    ui.accountName.textContent = 'Accounts';
    ui.accountEmail.textContent = '';
    ui.accountAvatar.hidden = true;
    ui.accountButton.setAttribute('aria-label', 'Accounts');
    return;
  }
  const signedOut = active?.state === 'signed-out';
  const displayName = displayNameOf(person, signedOut ? 'Account' : 'Signed in');
  ui.accountName.textContent = displayName;
  ui.accountEmail.textContent = person.name !== null && person.email !== null ? person.email : '';
  ui.accountInitials.textContent = initialsOf(person);
  // Nothing to draw an avatar from (e.g. restored while offline: no claims yet).
  ui.accountAvatar.hidden = person.picture === null && person.name === null && person.email === null;
  if (isDataImage(person.picture)) {
    ui.accountPicture.src = person.picture;
    ui.accountPicture.hidden = false;
    ui.accountInitials.hidden = true;
  } else {
    ui.accountPicture.removeAttribute('src');
    ui.accountPicture.hidden = true;
    ui.accountInitials.hidden = false;
  }
  ui.accountButton.setAttribute('aria-label', `Accounts (${displayName}${signedOut ? ', signed out' : ''})`);
}

/** The "a stronger sign-in is needed" notice and its button, or none. */
function showStepUpNotice(error: BridgeError | undefined): void {
  // The title is filled with the message, so the alert announces both when it appears.
  ui.stepUpTitle.hidden = error === undefined;
  ui.stepUpText.textContent = error?.message ?? '';
  ui.stepUpNotice.hidden = error === undefined;
}

function clearMessage(): void {
  ui.message.hidden = true;
  ui.messageText.textContent = '';
  showNotice(ui.messageError, undefined);
  showStepUpNotice(undefined);
}

async function loadProfile(forGeneration: number): Promise<void> {
  const result = await window.auth.getProfile();
  if (forGeneration !== generation) return;
  profile = result.ok ? result.value : undefined;
  paintHeader();
}

/**
 * Reads the active account's profile again while signed in or offline (the
 * one shown stays until the answer, unless `anotherAccount`), and forgets it otherwise.
 */
function refreshProfile({ anotherAccount }: { anotherAccount: boolean }): void {
  generation++;
  const hasProfile = shown === 'signed-in' || shown === 'offline';
  if (anotherAccount || !hasProfile) profile = undefined;
  if (hasProfile) void loadProfile(generation);
  paintHeader();
}

function render(state: BridgeSessionState): void {
  const previous = shown;
  shown = state;
  for (const [name, view] of Object.entries(views)) view.hidden = name !== state;
  if (state !== 'signed-in' && state !== 'offline') clearMessage();
  refreshProfile({ anotherAccount: false });
  if (state !== 'signed-out') showNotice(ui.signInError, undefined);
  if (state !== 'offline') showNotice(ui.retryError, undefined);
  setBusy(ui.signIn, false);
  setBusy(ui.cancel, false);
  setBusy(ui.logout, false);
  setBusy(ui.retry, false);
  setBusy(ui.stepUp, false);
  if (previous !== state) {
    announce(STATUS_TEXT[state]);
    // Move focus to the new screen's heading, so keyboard and screen-reader
    // users land where the content changed (not on a button that vanished).
    if (previous !== 'loading') views[state].querySelector<HTMLElement>('h1')?.focus();
  }
}

/**
 * Says which accounts left the list without the user asking (the provider
 * ended their session, or another window signed out of them).
 */
function noticeAccountsGone(next: readonly BridgeAccount[]): void {
  const gone = accounts.filter((account) => !next.some((kept) => kept.id === account.id));
  const unasked = gone.filter((account) => !removing.delete(account.id));
  if (unasked.length === 0) return;
  const names = unasked.map((account) => displayNameOf(account)).join(', ');
  showNotice(ui.accountError, {
    code: 'ERR_SESSION_EXPIRED',
    message: `You were signed out of ${names}. Choose "Add account" to sign in again.`,
  });
}

/** A new list of accounts: the switcher's menu, and when the active account changed, its profile. */
function showAccounts(next: readonly BridgeAccount[]): void {
  const before = activeAccount()?.id;
  noticeAccountsGone(next);
  accounts = next;
  switcher.setAccounts(next);
  if (activeAccount()?.id === before) {
    paintHeader();
    return;
  }
  // Someone else's now: what was shown of the previous account goes.
  clearMessage();
  refreshProfile({ anotherAccount: true });
}

/** Runs an account verb from the menu; what went wrong shows under the header. */
async function runAccountVerb(busyText: string, run: () => Promise<BridgeResult<null>>): Promise<void> {
  showNotice(ui.accountError, undefined);
  announce(busyText);
  const result = await run();
  // Cancelling a sign-in in the browser or the app is the user's own choice, not an error to show.
  if (!result.ok && result.error.code !== 'ERR_SIGN_IN_CANCELLED') {
    showNotice(ui.accountError, result.error);
    announce(result.error.message);
  }
}

const switcher = createAccountSwitcher(ui.accountButton, ui.accountMenu, {
  switchTo: (account) =>
    void runAccountVerb(`Switching to ${displayNameOf(account)}…`, () =>
      window.auth.switchAccount(account.id),
    ),
  add: () => void runAccountVerb('Adding an account…', () => window.auth.addAccount()),
  remove: (account) => {
    removing.add(account.id);
    void runAccountVerb(`Signing out of ${displayNameOf(account)}…`, async () => {
      const result = await window.auth.removeAccount(account.id);
      if (!result.ok) removing.delete(account.id);
      return result;
    });
  },
});

ui.signIn.addEventListener('click', async () => {
  setBusy(ui.signIn, true);
  showNotice(ui.signInError, undefined);
  const result = await window.auth.signIn();
  setBusy(ui.signIn, false);
  // Cancelling is the user's own choice, not an error to show.
  if (!result.ok && result.error.code !== 'ERR_SIGN_IN_CANCELLED') {
    showNotice(ui.signInError, result.error);
    if (shown === 'signed-out') ui.signInError.focus();
  }
});

ui.cancel.addEventListener('click', async () => {
  setBusy(ui.cancel, true);
  await window.auth.cancelSignIn();
});

ui.logout.addEventListener('click', async () => {
  setBusy(ui.logout, true);
  announce('Signing out…');
  const active = activeAccount();
  if (active !== undefined) removing.add(active.id);
  // The screen follows the pushed state (signed out at once); this call ends
  // only when the browser is back from the provider's sign-out page.
  const result = await window.auth.signOut();
  setBusy(ui.logout, false);
  if (!result.ok) {
    if (active !== undefined) removing.delete(active.id);
    announce(result.error.message);
  }
});

/** Calls the API through `read` while `button` shows busy; shows the message, or what went wrong. */
async function showApiMessage(
  button: HTMLButtonElement,
  read: () => Promise<BridgeResult<PrivateMessage>>,
): Promise<BridgeError | undefined> {
  setBusy(button, true);
  clearMessage();
  const asked = activeAccount()?.id;
  const result = await read();
  setBusy(button, false);
  // Another account is active now (e.g. the provider ended this one's session): the answer was not its.
  if (activeAccount()?.id !== asked) return undefined;
  if (result.ok) {
    ui.messageText.textContent = result.value.message;
    ui.message.hidden = false;
    return undefined;
  }
  // The API wants a stronger or more recent sign-in: offer it, never start it unasked.
  if (result.error.code === 'ERR_STEP_UP_REQUIRED') showStepUpNotice(result.error);
  else showNotice(ui.messageError, result.error);
  return result.error;
}

ui.getMessage.addEventListener('click', () => {
  void showApiMessage(ui.getMessage, () => window.auth.getPrivateMessage());
});

ui.getSensitive.addEventListener('click', () => {
  void showApiMessage(ui.getSensitive, () => window.auth.getSensitiveMessage());
});

/** The notice's button: signs in again in the browser, then reads the sensitive message once more. */
ui.stepUp.addEventListener('click', async () => {
  const offer = ui.stepUpText.textContent;
  const error = await showApiMessage(ui.stepUp, () => window.auth.getSensitiveMessage({ allowStepUp: true }));
  // Cancelled in the browser or the app: the need is still there, so is the offer.
  if (error?.code === 'ERR_SIGN_IN_CANCELLED') {
    showNotice(ui.messageError, undefined);
    showStepUpNotice({ code: 'ERR_STEP_UP_REQUIRED', message: offer ?? '' });
  }
});

ui.retry.addEventListener('click', async () => {
  setBusy(ui.retry, true);
  showNotice(ui.retryError, undefined);
  announce('Trying to reconnect…');
  const result = await window.auth.renewSession();
  setBusy(ui.retry, false);
  if (!result.ok) {
    showNotice(ui.retryError, result.error);
    announce(result.error.message);
  }
});

async function start(): Promise<void> {
  let pushed = false;
  window.auth.onAccounts((list) => {
    pushed = true;
    showAccounts(list);
  });
  window.auth.onSessionState(render);
  const [state, list] = await Promise.all([window.auth.getSessionState(), window.auth.listAccounts()]);
  // What was pushed in the meantime is newer than these answers.
  if (!pushed && list.ok) showAccounts(list.value);
  if (shown === 'loading') render(state.ok ? state.value : 'signed-out');
}

void start();
