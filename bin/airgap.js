#!/usr/bin/env node
// The executable: all wiring lives in src/cli (compiled to dist/ by `npm install`'s prepare step).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2));
