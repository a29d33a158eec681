import { fetchPictureAsDataUrl } from './picture.ts';
import type { PictureFetchOptions } from './picture.ts';

/** Where the bridge logs what it does not show the renderer in full. */
type Log = (message: string, error?: unknown) => void;

/**
 * The pictures of the profile and of every listed account, as `data:` URLs,
 * each fetched once per URL (in flight or done) by the checked fetch of
 * `picture.ts`. A picture that could not be fetched is tried again next time
 * it is asked for, not remembered as missing.
 */
export interface PictureCache {
  /** The picture at `url` as a `data:` URL, or `null` (no URL, or refused: logged). */
  dataUrlOf(url: string | null | undefined): Promise<string | null>;
  /** Drops the picture of `url` (an account signed out of), or every picture. */
  forget(url?: string): void;
}

/** Enough for every account a person keeps, and small: each entry is at most `maxBytes` (256 KiB). */
export const MAX_CACHED_PICTURES = 16;

export function createPictureCache(options: PictureFetchOptions | undefined, log: Log): PictureCache {
  const cached = new Map<string, Promise<string | null>>();
  return {
    dataUrlOf(url) {
      if (typeof url !== 'string') return Promise.resolve(null);
      const known = cached.get(url);
      if (known !== undefined) return known;
      const fetching = fetchPictureAsDataUrl(url, options).catch((err: unknown) => {
        // A missing picture is not worth failing the profile or the list for.
        log('electron-oidc bridge: picture not shown', err);
        if (cached.get(url) === fetching) cached.delete(url);
        return null;
      });
      cached.set(url, fetching);
      // The oldest first out: a Map iterates in insertion order.
      while (cached.size > MAX_CACHED_PICTURES) cached.delete(cached.keys().next().value!);
      return fetching;
    },
    forget(url) {
      if (url === undefined) cached.clear();
      else cached.delete(url);
    },
  };
}
