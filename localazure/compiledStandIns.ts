/**
 * The provider stand-ins compiled to JavaScript ahead of time (common/compileAhead.cjs), so that a plugin process
 * starts as a real provider binary does, without loading a TypeScript loader and compiling its sources first.
 * Every `pulumi` command starts both stand-ins; run through sucrase's require hook, each paid the hook's load and
 * a compile of its modules.
 */
import { resolve } from "node:path";
import { compiledAhead } from "../common/compileAhead.cjs";

const ROOT = resolve(__dirname, "..");
/** The stand-ins' sources: their own tree, and the project code they share with the program and the tools. */
const SOURCE_DIRS = ["localazure/providers", "common"];
/** What each plugin process starts from (localazure/plugins.ts), bundled with all it requires. */
const ENTRIES = ["localazure/providers/azuread/main", "localazure/providers/azure-native/main"];

/**
 * The directory holding the compiled stand-ins (`<dir>/localazure/providers/<name>/main.js`), compiled if need be;
 * `root` is the checkout (tests pass a copy).
 */
export function compiledStandIns(root = ROOT): string {
    return compiledAhead(root, SOURCE_DIRS, "stand-ins", ENTRIES);
}
