import { defineConfig } from 'vite';
import hotstate from '../plugin/vite.ts';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [hotstate({ indicator: true })],
});
