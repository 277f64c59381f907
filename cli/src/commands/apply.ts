import type { Command } from '../main.js';

// Placeholder until the owning work lands; says so instead of pretending.
export const command: Command = {
  summary: '(not implemented yet)',
  usage: 'kplane apply: not implemented yet',
  async run() {
    console.error('kplane apply: not implemented yet');
    return 2;
  },
};
