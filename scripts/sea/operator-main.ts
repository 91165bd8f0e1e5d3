/**
 * The operator's main script in an executable. Its entry module
 * (packages/operator/src/main.ts) exports `runOperatorCommand`, which an
 * executable's main script cannot (entry.ts runs the body in a function), and
 * starts the operator itself only when `process.argv[1]` names that module. In
 * an executable its `import.meta.url` is the executable's (runtime.ts) and
 * `process.argv[1]` the executable as typed (`./operator`, `operator` from
 * PATH): pointed at the executable's own path, the operator's check holds
 * however it was started, and the operator starts once, with its own error
 * handling.
 */
process.argv[1] = process.execPath;
await import('@flotilla/operator');
