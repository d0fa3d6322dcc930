/**
 * `npm run demo`: the main job, end to end, on this machine alone. The offline plan of every stack, then the real
 * Pulumi CLI deploying the dev stack to a local Azure (localazure/): `pulumi preview` under the guardrail pack,
 * `pulumi up`, the env file written from the real stack outputs, and the example's Python token check signing in
 * with it. Works on a copy of the project (the passphrase secrets provider writes a salt into the stack file) and
 * leaves nothing behind unless --keep is given.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalAzure } from "../../localazure";
import { createEngineWorkspace, runCommand, type CommandResult } from "../../test/engine/workspace";
import { runCommand as runTool, UsageError } from "../../common/cliArgs";
import { PROJECT_ROOT } from "../stacks/stackFiles";

/** The preloads of package.json's scripts, so that the demo runs the commands as `npm run` does. */
const LOADER = ["-r", join(PROJECT_ROOT, "common", "moduleCodeCache.cjs"), "-r", join(PROJECT_ROOT, "common", "lazyTypeScript.cjs"),
    "-r", join(PROJECT_ROOT, "common", "cachedTypeScript.cjs")];

const USAGE = "usage: npm run demo [-- --stack NAME] [--keep]";
const VENV_PYTHON = join(PROJECT_ROOT, ".venv", "bin", "python");

function step(title: string): void {
    console.log(`\n== ${title}`);
}

function require0(what: string, result: CommandResult): CommandResult {
    if (result.code !== 0) {
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        throw new Error(`${what} failed (exit ${result.code})`);
    }
    return result;
}

export async function main(argv: readonly string[]): Promise<number> {
    let stack: string, keep: boolean;
    try {
        const { values } = parseArgs({ args: [...argv], options: {
            stack: { type: "string", default: "inventory-api-dev" }, keep: { type: "boolean", default: false },
        } });
        ({ stack, keep } = { stack: values.stack, keep: values.keep });
    } catch (error) {
        throw new UsageError(`${(error as Error).message}; ${USAGE}`);
    }

    step("the offline plan of every stack (npm run plan)");
    const plan = await runCommand(process.execPath, [...LOADER, join(PROJECT_ROOT, "tools/plan/command.ts")],
        PROJECT_ROOT, process.env);
    process.stdout.write(plan.stdout);
    process.stderr.write(plan.stderr);
    if (plan.code !== 0) return plan.code;

    step("a local Azure on loopback (npm run local-azure starts the same one by hand)");
    const azure = await startLocalAzure();
    console.log(`tenant ${azure.tenantId}, subscription ${azure.subscriptionId}, on ${azure.url}`);
    // The demo waits as a real `pulumi up` does for each new credential (about 4 s).
    const workspace = await createEngineWorkspace(azure, { realPollWaits: true });
    try {
        console.log(`project copy: ${workspace.dir} (state: file://${join(workspace.dir, ".state")})`);
        require0("pulumi stack init", await workspace.pulumi(["stack", "init", stack]));

        step(`pulumi preview --stack ${stack}, under the guardrail policy pack`);
        // The pack as setup compiled it (.tools/policy-pack), as users run it.
        const policy = workspace.policyArgs;
        console.log(require0("pulumi preview", await workspace.pulumi(["preview", "--stack", stack, ...policy])).stdout);

        step(`pulumi up --stack ${stack}`);
        console.log(require0("pulumi up", await workspace.pulumi(["up", "--stack", stack, "--yes", "--skip-preview", ...policy])).stdout);

        step(`the env file from the stack's outputs (npm run env-file -- --stack ${stack} --out FILE)`);
        const envFile = join(workspace.dir, `${stack}.env`);
        require0("env-file", await runCommand(process.execPath, [...LOADER,
            join(PROJECT_ROOT, "tools/envFile/command.ts"), "--stack", stack, "--out", envFile], workspace.dir, workspace.env));
        console.log(`${envFile} (mode 0600): AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET`);

        step("DefaultAzureCredential() in Python signs in with it (examples/token-check/token_check.py)");
        const signIn = await runCommand("bash", ["-c", 'set -a; . "$1"; set +a; exec "$2" "$3" --verbose', "sign-in",
            envFile, VENV_PYTHON, join(PROJECT_ROOT, "examples/token-check/token_check.py")], workspace.dir, {
            ...process.env, PYTHONDONTWRITEBYTECODE: "1", HTTPS_PROXY: azure.proxyUrl, HTTP_PROXY: azure.proxyUrl,
            NO_PROXY: "", REQUESTS_CA_BUNDLE: azure.caFile, SSL_CERT_FILE: azure.caFile,
        });
        process.stderr.write(signIn.stderr);
        console.log(require0("the token check", signIn).stdout.trim());
        step(keep ? `kept: ${workspace.dir}` : "done: the local Azure stops and the project copy is removed (--keep keeps it)");
        return 0;
    } finally {
        if (!keep) workspace.dispose();
        await azure.stop();
    }
}

if (require.main === module) runTool("demo", main);
