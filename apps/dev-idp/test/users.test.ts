import { describe, expect, it } from 'vitest';
import { demoUsers } from '../src/index.ts';
import { verifyPassword } from '../src/users.ts';

describe('password check', () => {
  it.each(demoUsers.map((user) => [user.username, user]))(
    'accepts the documented password of %s',
    async (_, user) => {
      const account = await verifyPassword(user.username, user.password);
      expect(account).toMatchObject({ username: user.username, name: user.name, email: user.email });
    },
  );

  it('refuses a wrong password', async () => {
    expect(await verifyPassword('alice', 'builder')).toBeUndefined();
    expect(await verifyPassword('alice', '')).toBeUndefined();
    expect(await verifyPassword('alice', 'Wonderland')).toBeUndefined();
  });

  it('refuses an unknown user, even with a demo password', async () => {
    expect(await verifyPassword('mallory', 'wonderland')).toBeUndefined();
    expect(await verifyPassword('', '')).toBeUndefined();
  });
});
