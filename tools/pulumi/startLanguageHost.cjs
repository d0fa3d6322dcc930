// @ts-check
/**
 * What the language host's launcher runs (tools/pulumi/install.sh writes it beside the CLI): the model of
 * `pulumi-language-nodejs` (languageHost.ts) compiled ahead of time (common/compileAhead.cjs) and started as plain
 * node. A preview starts the host twice (one answers GetRequiredPackages, pkg/v3 engine/plugins.go
 * gatherPackagesFromProgram; the other runs the program), and the real host is a Go binary that starts in
 * milliseconds; through sucrase's require hook, each start paid the hook's load and a compile of the model first
 * (about 300 ms to its port; compiled, about 140 ms). The bundle is loaded through its V8 code cache
 * (common/codeCache.cjs): 0.156 to 0.127 s of CPU a host in a preview of dev (process accounting, 20 hosts each).
 */
const { join, resolve } = require("node:path");
const { requireCached } = require("../../common/codeCache.cjs");
const { compiledAhead } = require("../../common/compileAhead.cjs");

const compiled = compiledAhead(resolve(__dirname, "..", ".."), ["tools/pulumi"], "language-host", ["tools/pulumi/languageHost"]);
requireCached(join(compiled, "tools", "pulumi", "languageHost.js")).start(process.argv.slice(2));
