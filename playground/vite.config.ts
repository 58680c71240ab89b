import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import hotstate from '../plugin/vite.ts';

/**
 * The playground: `npm run dev`. Two pages: `/` (plain TypeScript) and `/react.html` (React with
 * Fast Refresh). hotstate comes first: it must see the source before other plugins transform it.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [hotstate({ indicator: true }), react()],
});
