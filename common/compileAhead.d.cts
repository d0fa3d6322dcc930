/**
 * The directory holding `sourceDirs` (folders of the checkout `root`) compiled, each `x.ts` as `<dir>/x.js` under
 * the same relative path, and each of `entries` (`x` for `x.ts`) bundled over its `x.js`, made first if need be, in
 * `.tools/<name>/<hash of the sources>` (compileAhead.cjs).
 */
export declare function compiledAhead(root: string, sourceDirs: readonly string[], name: string, entries?: readonly string[]): string;
