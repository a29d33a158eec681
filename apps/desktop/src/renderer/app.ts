/**
 * The renderer: a small UI over `window.auth` (the preload's bridge). It makes
 * no network request and holds no token; everything it shows came through the
 * bridge as plain, sanitized data, and is written with textContent, never as
 * HTML.
 */
import type {
  AuthBridge,
  BridgeError,
  BridgeProfile,
  BridgeResult,
  BridgeSessionState,
  PrivateMessage,
} from 'electron-oidc/bridge';

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
/** Bumped on every state change, so a slow profile answer cannot paint over a newer state. */
let generation = 0;

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

function initialsOf(profile: BridgeProfile): string {
  const source = profile.name ?? profile.email ?? '';
  const letters = source
    .split(/[\s@._-]+/)
    .filter((part) => part !== '')
    .slice(0, 2)
    .map((part) => part.charAt(0).toUpperCase());
  return letters.join('') || '?';
}

function showAccount(profile: BridgeProfile | undefined): void {
  if (profile === undefined) {
    ui.account.hidden = true;
    ui.accountPicture.removeAttribute('src');
    ui.accountPicture.hidden = true;
    ui.greetingName.textContent = 'there';
    return;
  }
  const displayName = profile.name ?? profile.email ?? 'Signed in';
  ui.accountName.textContent = displayName;
  ui.accountEmail.textContent = profile.name !== null && profile.email !== null ? profile.email : '';
  ui.greetingName.textContent = profile.name?.split(/\s+/)[0] ?? displayName;
  ui.accountInitials.textContent = initialsOf(profile);
  // Nothing to draw an avatar from (e.g. restored while offline: no claims yet).
  ui.accountAvatar.hidden = profile.picture === null && profile.name === null && profile.email === null;
  // Only a data: image, as the bridge promises: the CSP would block anything else anyway.
  if (profile.picture !== null && profile.picture.startsWith('data:image/')) {
    ui.accountPicture.src = profile.picture;
    ui.accountPicture.hidden = false;
    ui.accountInitials.hidden = true;
  } else {
    ui.accountPicture.removeAttribute('src');
    ui.accountPicture.hidden = true;
    ui.accountInitials.hidden = false;
  }
  ui.account.hidden = false;
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
  showAccount(result.ok ? result.value : undefined);
}

function render(state: BridgeSessionState): void {
  generation++;
  const previous = shown;
  shown = state;
  for (const [name, view] of Object.entries(views)) view.hidden = name !== state;
  if (state === 'signed-in' || state === 'offline') {
    void loadProfile(generation);
  } else {
    showAccount(undefined);
    clearMessage();
  }
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
  // The screen follows the pushed state (signed out at once); this call ends
  // only when the browser is back from the provider's sign-out page.
  const result = await window.auth.signOut();
  setBusy(ui.logout, false);
  if (!result.ok) announce(result.error.message);
});

/** Calls the API through `read` while `button` shows busy; shows the message, or what went wrong. */
async function showApiMessage(
  button: HTMLButtonElement,
  read: () => Promise<BridgeResult<PrivateMessage>>,
): Promise<BridgeError | undefined> {
  setBusy(button, true);
  clearMessage();
  const result = await read();
  setBusy(button, false);
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
  window.auth.onSessionState(render);
  const result = await window.auth.getSessionState();
  // A state pushed in the meantime is newer than this answer.
  if (shown === 'loading') render(result.ok ? result.value : 'signed-out');
}

void start();
