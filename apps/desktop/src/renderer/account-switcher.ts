/**
 * The account switcher in the header: a menu button (WAI-ARIA Authoring
 * Practices, "Menu Button") whose menu lists the other accounts to switch to,
 * "Add account", and "Sign out of <name>" for each account. Built with DOM
 * calls and textContent only (no HTML strings), so the strict CSP holds and a
 * name can never become markup.
 */
import type { BridgeAccount } from 'electron-oidc/bridge';

/** What a person is shown as: name, else email, else `unknown` (e.g. restored while offline: no claims yet). */
export function displayNameOf(
  person: { name: string | null; email: string | null },
  unknown = 'Unnamed account',
): string {
  return person.name ?? person.email ?? unknown;
}

/** Up to two initials for an avatar without a picture. */
export function initialsOf(person: { name: string | null; email: string | null }): string {
  const source = person.name ?? person.email ?? '';
  const letters = source
    .split(/[\s@._-]+/)
    .filter((part) => part !== '')
    .slice(0, 2)
    .map((part) => part.charAt(0).toUpperCase());
  return letters.join('') || '?';
}

/** Whether `picture` is what the bridge promises: a data: image (the CSP would block anything else anyway). */
export function isDataImage(picture: string | null): picture is string {
  return picture !== null && picture.startsWith('data:image/');
}

/** A small decorative avatar: the picture, else the initials. */
function avatarOf(account: BridgeAccount): HTMLElement {
  const avatar = document.createElement('span');
  avatar.className = 'avatar avatar-small';
  avatar.setAttribute('aria-hidden', 'true');
  if (isDataImage(account.picture)) {
    const img = document.createElement('img');
    img.alt = '';
    img.width = 28;
    img.height = 28;
    img.src = account.picture;
    avatar.append(img);
  } else {
    const initials = document.createElement('span');
    initials.className = 'avatar-initials';
    initials.textContent = initialsOf(account);
    avatar.append(initials);
  }
  return avatar;
}

function menuItem(label: string, onSelect: () => void): HTMLButtonElement {
  const item = document.createElement('button');
  item.type = 'button';
  item.className = 'menu-item';
  item.setAttribute('role', 'menuitem');
  // Focus moves with the arrow keys, not Tab (one tab stop: the menu button).
  item.tabIndex = -1;
  item.textContent = label;
  item.addEventListener('click', onSelect);
  return item;
}

function separator(): HTMLElement {
  const line = document.createElement('div');
  line.className = 'menu-separator';
  line.setAttribute('role', 'separator');
  return line;
}

/** A menu item that switches to `account`: its avatar, name and email. */
function switchItem(account: BridgeAccount, onSelect: () => void): HTMLButtonElement {
  const name = displayNameOf(account);
  const offline = account.state === 'offline';
  const item = menuItem('', onSelect);
  item.classList.add('menu-account');
  item.setAttribute(
    'aria-label',
    `Switch to ${name}${account.email !== null && account.email !== name ? ` (${account.email})` : ''}${offline ? ', offline' : ''}`,
  );
  const text = document.createElement('span');
  text.className = 'menu-account-text';
  const nameLine = document.createElement('span');
  nameLine.className = 'menu-account-name';
  nameLine.textContent = name;
  text.append(nameLine);
  if (account.email !== null && account.email !== name) {
    const emailLine = document.createElement('span');
    emailLine.className = 'menu-account-email';
    emailLine.textContent = account.email;
    text.append(emailLine);
  }
  item.append(avatarOf(account), text);
  if (offline) {
    const badge = document.createElement('span');
    badge.className = 'menu-badge';
    badge.textContent = 'Offline';
    item.append(badge);
  }
  return item;
}

/** What the menu's items do; the switcher closes the menu first. */
export interface AccountSwitcherActions {
  switchTo(account: BridgeAccount): void;
  add(): void;
  remove(account: BridgeAccount): void;
}

export interface AccountSwitcher {
  /** The accounts the menu lists (rebuilt at once if it is open). */
  setAccounts(accounts: readonly BridgeAccount[]): void;
  /** Closes the menu; with `returnFocus`, focus goes back to the menu button. */
  close(returnFocus: boolean): void;
}

/** The menu's content for `accounts`: the others to switch to, Add account, then a sign-out per account. */
function menuContent(
  accounts: readonly BridgeAccount[],
  act: (run: () => void) => () => void,
  actions: AccountSwitcherActions,
): HTMLElement[] {
  const others = accounts.filter((account) => !account.active);
  const active = accounts.filter((account) => account.active);
  const content: HTMLElement[] = [];
  if (others.length > 0) {
    const group = document.createElement('div');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Switch to');
    const label = document.createElement('div');
    label.className = 'menu-label';
    label.setAttribute('aria-hidden', 'true');
    label.textContent = 'Switch to';
    group.append(
      label,
      ...others.map((account) =>
        switchItem(
          account,
          act(() => actions.switchTo(account)),
        ),
      ),
    );
    content.push(group, separator());
  }
  const add = menuItem(
    'Add account',
    act(() => actions.add()),
  );
  add.classList.add('menu-add');
  content.push(add);
  if (accounts.length > 0) content.push(separator());
  for (const account of [...active, ...others]) {
    content.push(
      menuItem(
        `Sign out of ${displayNameOf(account)}`,
        act(() => actions.remove(account)),
      ),
    );
  }
  return content;
}

/**
 * Wires the menu button and its menu: Enter, Space or ArrowDown opens it on
 * the first item, ArrowUp on the last; in the menu the arrow keys, Home and
 * End move, Escape closes it back onto the button, Tab closes it and moves
 * on; a click elsewhere closes it.
 */
export function createAccountSwitcher(
  button: HTMLButtonElement,
  menu: HTMLElement,
  actions: AccountSwitcherActions,
): AccountSwitcher {
  const container = button.parentElement ?? button;
  let accounts: readonly BridgeAccount[] = [];
  let open = false;

  const items = (): HTMLElement[] => [...menu.querySelectorAll<HTMLElement>('[role="menuitem"]')];
  const focusItem = (index: number): void => {
    const list = items();
    if (list.length > 0) list[(index + list.length) % list.length]!.focus();
  };
  const close = (returnFocus: boolean): void => {
    if (!open) return;
    open = false;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (returnFocus) button.focus();
  };
  // Each item closes the menu before it acts, so focus is back on the button when the screen changes.
  const act = (run: () => void) => () => {
    close(true);
    run();
  };
  const build = (): void => menu.replaceChildren(...menuContent(accounts, act, actions));
  const openOn = (which: 'first' | 'last'): void => {
    build();
    open = true;
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    focusItem(which === 'first' ? 0 : -1);
  };

  button.addEventListener('click', () => (open ? close(true) : openOn('first')));
  button.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    openOn(event.key === 'ArrowDown' ? 'first' : 'last');
  });
  menu.addEventListener('keydown', (event) => {
    const current = items().indexOf(document.activeElement as HTMLElement);
    const moves: Record<string, () => void> = {
      ArrowDown: () => focusItem(current + 1),
      ArrowUp: () => focusItem(current - 1),
      Home: () => focusItem(0),
      End: () => focusItem(-1),
      Escape: () => close(true),
    };
    if (event.key === 'Tab') close(false);
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    move();
  });
  document.addEventListener('pointerdown', (event) => {
    if (open && !container.contains(event.target as Node)) close(false);
  });
  // Escape closes the menu even when focus has left it (e.g. the window lost and regained focus).
  document.addEventListener('keydown', (event) => {
    if (open && event.key === 'Escape' && !menu.contains(event.target as Node)) close(true);
  });
  container.addEventListener('focusout', (event) => {
    const next = event.relatedTarget as Node | null;
    if (open && next !== null && !container.contains(next)) close(false);
  });

  return {
    setAccounts(next) {
      accounts = next;
      if (!open) return;
      const index = items().indexOf(document.activeElement as HTMLElement);
      build();
      if (index >= 0) focusItem(Math.min(index, items().length - 1));
    },
    close,
  };
}
