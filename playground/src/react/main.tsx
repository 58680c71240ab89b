import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';

// hotstate re-runs this module when an update reaches it (an edit here, or one Fast Refresh passes
// up, such as a changed non-component export of App.tsx): keep the root, so that re-running
// renders into it instead of calling createRoot a second time on the same container.
// @hotstate keep
const root = createRoot(document.getElementById('root')!);
root.render(
  <StrictMode>
    <App />
  </StrictMode>,
);
