// @ts-check
/**
 * Work to do once as the process ends, for the code caches (codeCache.cjs, moduleCodeCache.cjs): at exit, or at
 * SIGINT. The CLI stops a plugin with SIGINT to its process group, and SIGKILL 5 s later
 * (sdk/go/common/resource/plugin/plugin.go, the plugin's kill: cmdutil.InterruptChildren), and Node's default for
 * SIGINT ends the process with no exit event. After the work, a process that does not listen for SIGINT itself ends
 * by the signal, as it would have; one that does is left to its own listener.
 */
"use strict";

/** @type {(() => void)[]} */
const pending = [];

function runPending() {
    for (const work of pending.splice(0)) work();
}

function endBySignal() {
    runPending();
    if (process.listenerCount("SIGINT") === 1) {
        process.removeListener("SIGINT", endBySignal);
        process.kill(process.pid, "SIGINT");
    }
}

let listening = false;

/** Runs `work` once, as the process exits or is sent SIGINT, whichever comes first. @param {() => void} work */
function onProcessEnd(work) {
    pending.push(work);
    if (listening) return;
    listening = true;
    process.on("exit", runPending);
    process.on("SIGINT", endBySignal);
}

module.exports = { onProcessEnd };
