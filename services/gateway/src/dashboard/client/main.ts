// The dashboard's page script (bundled into /assets/dashboard.js by build/generate.ts): one entry
// for every page, which the server names in <body data-page>.
import { runPage } from './run.ts';
import { runsPage } from './runs.ts';
import { samplesPage } from './samples.ts';
import { requireClient, showSession, SignedOut } from './session.ts';
import { showMessage } from './dom.ts';
import { signInPage } from './signin.ts';

function start(): void {
  const page = document.body.dataset['page'];
  if (page === 'signin') return signInPage();
  if (page === 'not-found') return;
  const api = requireClient();
  void showSession(api).catch(() => undefined);
  if (page === 'runs') return runsPage(api);
  if (page === 'run') return runPage(api);
  if (page === 'samples') return samplesPage(api);
  showMessage(`unknown page ${JSON.stringify(page)}`);
}

try {
  start();
} catch (error) {
  if (!(error instanceof SignedOut)) throw error;
}
