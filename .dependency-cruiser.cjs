// The house rules (README "Layout"), checked by `npm run lint:imports`: imports run downwards only, and nothing
// outside test/ imports in a circle. Floors, from the top: tools/ (may import anything), then policy/ (the guardrail
// pack: infra/ and common/), infra/ (the Pulumi program: common/), localazure/ (stands for Azure: common/ only), and
// common/ at the bottom (nothing of the project). Type-only imports count: they tie modules as much as values do.
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
    forbidden: [
        {
            name: "no-circular",
            severity: "error",
            comment: "An import cycle: modules that need each other belong in one module, or share a third below both.",
            from: {},
            to: { circular: true },
        },
        {
            name: "common-is-the-floor",
            severity: "error",
            comment: "common/ is what every part may use; it imports nothing of the project.",
            from: { path: "^common/" },
            to: { path: "^(infra|policy|localazure|tools|test)/" },
        },
        {
            name: "infra-is-the-program",
            severity: "error",
            comment: "The Pulumi program (infra/) runs under the language host on its own: it imports common/ only.",
            from: { path: "^infra/" },
            to: { path: "^(policy|localazure|tools|test)/" },
        },
        {
            name: "policy-loads-on-its-own",
            severity: "error",
            comment: "Pulumi's policy runner loads the pack (policy/) by itself: it may import infra/ and common/ only.",
            from: { path: "^policy/" },
            to: { path: "^(localazure|tools|test)/" },
        },
        {
            name: "localazure-stands-for-azure",
            severity: "error",
            comment: "The local Azure (localazure/) stands for Azure and knows nothing of the project: common/ only.",
            from: { path: "^localazure/" },
            to: { path: "^(infra|policy|tools|test)/" },
        },
        {
            name: "not-to-unresolvable",
            severity: "error",
            comment: "An import that resolves to nothing.",
            from: {},
            to: { couldNotResolve: true },
        },
    ],
    options: {
        // `npm run lint:imports` starts from the folders that ship; test/ may import any of them and is not cruised
        // unless one of them imports it, which a rule above then refuses.
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        doNotFollow: { path: "node_modules" },
        exclude: { path: "^(bin|\\.tools|\\.venv)/" },
        // ESM-only packages (@octokit/*) export only `import` and `default`: resolve as Node does for a require() of
        // ESM (Node 20.19+), as TypeScript's nodenext does.
        enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["require", "import", "node", "default", "types"] },
    },
};
