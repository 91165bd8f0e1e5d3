#!/usr/bin/env node
// Thin launcher so `npx flotilla` runs the compiled CLI.
import '../dist/main.js';
