/** sucrase/register/ts's options under `env`: its own for ".ts", with SUCRASE_OPTIONS over them. */
export declare function transformOptions(env: NodeJS.ProcessEnv): Record<string, unknown>;
/** The cache entry of a TypeScript file's text under sucrase options `under`, by default this process's. */
export declare function cacheFileOf(code: string, under?: Record<string, unknown>): string;
/** What sucrase/register/ts hands to node for `filePath` holding `code`: from the cache, or compiled and cached. */
export declare function transpiled(code: string, filePath: string): string;
