import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../../src/core/config.ts';
import { endSessionInBrowser } from '../../src/core/end-session.ts';

describe('endSessionInBrowser', () => {
  it('a busy fixed redirect port means the provider session is not ended (false), not a rejection', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const config = { redirectPort: port, postLogoutRedirectPath: '/logged-out' } as unknown as AuthConfig;
      const openBrowser = vi.fn(async () => {});
      const lines: string[] = [];
      const ended = endSessionInBrowser({
        endSessionUrl: new URL('https://idp.example/session/end'),
        config,
        openBrowser,
        logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) },
        timeoutMs: 5_000,
      });
      await expect(ended).resolves.toBe(false);
      expect(openBrowser).not.toHaveBeenCalled();
      expect(lines.join('\n')).toContain(String(port));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
