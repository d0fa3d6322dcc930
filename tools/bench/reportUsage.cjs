// Preloaded into a measured process (node --require): on exit, write its peak resident set size (KiB) to the file
// named by BENCH_USAGE_FILE, for `npm run bench`.
"use strict";
const { writeFileSync } = require("node:fs");

const file = process.env.BENCH_USAGE_FILE;
if (file) {
    process.on("exit", () => {
        writeFileSync(file, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
    });
}
