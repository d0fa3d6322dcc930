// @ts-check
/**
 * Preloaded (node --require) in place of `sucrase/register/ts`: the same require hook for `.ts` files (pirates, which
 * sucrase's hook is made with, and its defaults: node_modules is left alone), answering from typeScriptCache.cjs.
 * A program run whose sources have not changed then skips sucrase's load and transform: about 0.2 s of CPU a
 * `pulumi preview` (README, "Speed").
 */
"use strict";
const { addHook } = require("pirates");
const { transpiled } = require("./typeScriptCache.cjs");

addHook(transpiled, { exts: [".ts"] });
