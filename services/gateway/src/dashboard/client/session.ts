// The signed-in key: kept in sessionStorage (this tab only, gone when it closes), sent as the bearer
// header by the typed API client. No cookie, so the API has no CSRF surface: a request from another
// site carries no credential.
import { ApiCallError, createApiClient, type ApiClient } from '../../api/client.ts';
import { byId } from './dom.ts';

const KEY = 'sppo.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

/** Forgets the key and goes to the sign-in page (saying why). */
export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  location.assign(reason === undefined ? '/' : `/?reason=${encodeURIComponent(reason)}`);
}

/** Thrown after a redirect to the sign-in page, to stop the page's start-up. */
export class SignedOut extends Error {
  override readonly name = 'SignedOut';
}

export function clientFor(key: string): ApiClient {
  return createApiClient({ baseUrl: location.origin, apiKey: key });
}

/** The client of the signed-in key; no key: back to the sign-in page. */
export function requireClient(): ApiClient {
  const key = storedKey();
  if (key === null) {
    signOut('signin');
    throw new SignedOut();
  }
  return clientFor(key);
}

/** Shows the tenant and the sign-out button in the header. */
export async function showSession(api: ApiClient): Promise<void> {
  const { data, response } = await api.GET('/v1/me');
  if (response.status === 401) return signOut('refused');
  if (data === undefined) return;
  byId('tenant').textContent = `Tenant ${data.tenant}`;
  byId('session').hidden = false;
  byId('sign-out').addEventListener('click', () => signOut());
}

/** A failed call's message for the page; a 401 signs out (the key was revoked or mistyped). */
export function failureText(error: unknown): string {
  if (error instanceof ApiCallError) {
    if (error.status === 401) signOut('refused');
    return error.message;
  }
  return `the API could not be reached (${(error as Error).message})`;
}
