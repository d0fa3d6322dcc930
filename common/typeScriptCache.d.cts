/** Where the cache's entries are (typeScriptCache.cjs). */
export declare const CACHE_DIR: string;
/** The cache entry of a TypeScript file's text under the current sucrase options. */
export declare function cacheFileOf(code: string): string;
/** What sucrase/register/ts hands to node for `filePath` holding `code`: from the cache, or compiled and cached. */
export declare function transpiled(code: string, filePath: string): string;
