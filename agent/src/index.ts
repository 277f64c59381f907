export { runAgent, parseFlags, USAGE } from './main.js';
