/**
 * A `pulumi` command killed mid-deploy, as a machine that dies or an operator's `kill -9` stops it: SIGKILL to the
 * CLI and every process under it (the language host, the provider plugins), from inside the local Azure's request
 * hook, the moment a chosen request is answered. Azure has then done the write; no process that could record its
 * result is left to read the answer. The CLI's group alone is not enough: the CLI starts the language host and the
 * provider plugins in process groups of their own (seen here: pgid = pid, parent the CLI), which outlived a kill of
 * the CLI's group; so the tree is read from /proc first.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { RequestLogEntry } from "../../localazure";
import { requirePulumiCli, type EngineWorkspace } from "./workspace";

export class Interrupter {
    private trigger: ((entry: RequestLogEntry) => void) | undefined;
    /** The processes the last run was killed with. */
    killedTree: number[] = [];

    /** Pass to startLocalAzure({ onRequest }). */
    readonly onRequest = (entry: RequestLogEntry): void => this.trigger?.(entry);

    /** Runs `pulumi args` in the workspace; "killed" when `when` matched an answered request, else its exit code. */
    run(workspace: EngineWorkspace, args: readonly string[], when: (entry: RequestLogEntry) => boolean): Promise<"killed" | number> {
        return new Promise((done, fail) => {
            const child = spawn(requirePulumiCli(), args, { cwd: workspace.dir, env: workspace.env, detached: true, stdio: "ignore" });
            let killed = false;
            this.trigger = (entry) => {
                if (killed || !when(entry)) return;
                killed = true;
                this.trigger = undefined;
                this.killedTree = [child.pid!, ...descendantsOf(child.pid!)];
                for (const pid of this.killedTree) killIfAlive(pid);
            };
            child.on("error", fail);
            child.on("close", (code) => {
                this.trigger = undefined;
                done(killed ? "killed" : code ?? -1);
            });
        });
    }

    /** The killed processes still alive after up to 5 s (none should be). */
    async survivors(): Promise<number[]> {
        for (let wait = 0; wait < 50 && this.killedTree.some((pid) => existsSync(`/proc/${pid}`)); wait++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return this.killedTree.filter((pid) => existsSync(`/proc/${pid}`));
    }
}

/** SIGKILL, where a process that ended between the listing and the kill (ESRCH) is as good as killed. */
function killIfAlive(pid: number): void {
    try {
        process.kill(pid, "SIGKILL");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
}

/** Every process under `root`, from the parent IDs in /proc/<pid>/stat (field 4, after the command's parentheses). */
function descendantsOf(root: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch {
            // gone since the listing
        }
    }
    const found: number[] = [];
    const visit = (pid: number) => {
        for (const [candidate, parent] of parents) if (parent === pid) { found.push(candidate); visit(candidate); }
    };
    visit(root);
    return found;
}
