// The sign-in page (/): checks a key with GET /v1/me before keeping it. `./sppo up` prints a link
// with the key in the fragment (/#key=...), which never reaches the server; it is taken from the
// address bar at once.
import { byId, showMessage } from './dom.ts';
import { clientFor, storeKey, storedKey } from './session.ts';

const REASONS: Record<string, string> = {
  signin: 'Sign in with your API key to see your runs.',
  refused: 'The API no longer accepts that key; sign in again.',
};

async function trySignIn(key: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  showMessage('Checking the key…', { info: true });
  try {
    const { data, error, response } = await clientFor(key).GET('/v1/me');
    if (data !== undefined) {
      storeKey(key);
      const next = new URLSearchParams(location.search).get('next');
      location.assign(next !== null && /^\/runs(\/[a-z0-9-]+(\/rounds\/\d+\/samples)?)?$/.test(next) ? next : '/runs');
      return;
    }
    const detail = error?.error?.message ?? '';
    showMessage(response.status === 401 ? `That API key was refused (HTTP 401): ${detail}` : `The gateway answered HTTP ${response.status}: ${detail}`);
  } catch (error) {
    showMessage(`The gateway could not be reached: ${(error as Error).message}`);
  } finally {
    button.disabled = false;
  }
  byId<HTMLInputElement>('api-key').focus();
}

export function signInPage(): void {
  const form = byId<HTMLFormElement>('signin-form');
  const input = byId<HTMLInputElement>('api-key');
  const button = form.querySelector('button') as HTMLButtonElement;
  const reason = new URLSearchParams(location.search).get('reason');
  if (reason !== null && REASONS[reason] !== undefined) showMessage(REASONS[reason], { info: reason === 'signin' });

  const fromLink = /^#key=(.+)$/.exec(location.hash)?.[1];
  if (fromLink !== undefined) {
    history.replaceState(null, '', location.pathname + location.search);
    void trySignIn(decodeURIComponent(fromLink), button);
  } else if (storedKey() !== null && reason === null) {
    location.assign('/runs');
    return;
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') {
      showMessage('Enter an API key.');
      return;
    }
    void trySignIn(key, button);
  });
  input.focus();
}
