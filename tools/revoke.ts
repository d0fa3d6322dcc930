/**
 * `npm run revoke -- --stack NAME [--developer NAME] [--yes] [--print-commands]`
 *
 * Revokes an app identity at once: its app registration, service principal and both client secrets are replaced
 * through `pulumi up --target-replace` on exactly their URNs, with `--target-dependents` so that its role
 * assignments follow the new service principal. Deleting the old app deletes its secrets and service principal, so
 * every permission the leaked credential had ends with it. Production resources are protected: their protection
 * is lifted first for exactly those URNs, and the `pulumi up` protects the new ones again.
 *
 * Without the Pulumi CLI it prints the exact commands to run where the CLI is.
 */
import runProgram from "../infra";
import { spawnSync } from "node:child_process";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { ConfigError, displayNamesOf, parseStackConfig } from "../infra/config";
import { runCommand, UsageError } from "./cliArgs";
import { evaluateStack } from "./offline/engine";
import { PROJECT_ROOT, readProject, readStackFile, StackFileError } from "./stackFiles";

const USAGE = "usage: npm run revoke -- --stack NAME [--developer NAME] [--yes] [--print-commands]";
const REPLACED_TYPES = new Set([
    "azuread:index/application:Application",
    "azuread:index/servicePrincipal:ServicePrincipal",
    "azuread:index/applicationPassword:ApplicationPassword",
]);

export interface RevokePlan {
    readonly stack: string;
    readonly identity: string;
    readonly production: boolean;
    /** The app, service principal and secrets: replaced. */
    readonly replaced: readonly string[];
    /** Their dependents (the role assignments): replaced along with them. */
    readonly dependents: readonly string[];
    readonly unprotect: readonly string[][];
    readonly preview: readonly string[];
    readonly up: readonly string[];
}

/** Work out, from the stack's config and the offline engine, exactly which URNs a revoke replaces. */
export async function planRevoke(root: string, stack: string, developer: string | undefined): Promise<RevokePlan> {
    const project = readProject(root);
    const file = readStackFile(project, stack);
    const config = parseStackConfig(project.name, stack, file.config);
    const names = displayNamesOf(config.appName, config.environment, config.developers);
    let identity: string;
    if (config.developers.length > 0) {
        if (developer === undefined) {
            throw new UsageError(`stack ${stack} has an identity per developer (${config.developers.join(", ")}): ` +
                "name one with --developer");
        }
        if (!config.developers.includes(developer)) {
            throw new UsageError(`stack ${stack} has no developer ${JSON.stringify(developer)}; its developers: ` +
                config.developers.join(", "));
        }
        identity = names[config.developers.indexOf(developer)]!;
    } else {
        if (developer !== undefined) throw new UsageError(`stack ${stack} has no developers; leave out --developer`);
        identity = names[0]!;
    }

    const evaluation = await evaluateStack({ program: runProgram, project: project.name, stack, config: file.config, secretKeys: file.secretKeys });
    if (!evaluation.ok) throw new UsageError(evaluation.errors.join("\n"));
    const component = evaluation.resources.find((resource) => !resource.custom && resource.name === identity);
    const children = evaluation.resources.filter((resource) => component !== undefined && resource.parent === component.urn);
    const byKind = (keep: boolean) => children.filter((resource) => REPLACED_TYPES.has(resource.type) === keep)
        .map((resource) => resource.urn).sort();
    const replaced = byKind(true);
    const dependents = byKind(false);

    const stackArgs = ["--stack", stack];
    const targets = [...replaced.flatMap((urn) => ["--target-replace", urn]), "--target-dependents"];
    return {
        stack,
        identity,
        production: config.production,
        replaced,
        dependents,
        unprotect: config.production
            ? [...replaced, ...dependents].map((urn) => ["pulumi", "state", "unprotect", ...stackArgs, "--yes", urn])
            : [],
        preview: ["pulumi", "preview", ...stackArgs, ...targets],
        up: ["pulumi", "up", ...stackArgs, ...targets, "--yes", "--skip-preview"],
    };
}

export function commandsOf(plan: RevokePlan): (readonly string[])[] {
    return [...plan.unprotect, plan.preview, plan.up];
}

/** A command as one line for a POSIX shell: arguments with `$`, spaces or quotes go in single quotes. */
export function shellLine(command: readonly string[]): string {
    return command.map((arg) => (/^[A-Za-z0-9_\-./=@%+,:]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(" ");
}

export interface Console {
    readonly isInteractive: boolean;
    confirm(question: string): Promise<boolean>;
    run(command: readonly string[]): number | "missing";
}

const processConsole: Console = {
    isInteractive: process.stdin.isTTY === true,
    async confirm(question) {
        const prompt = createInterface({ input: process.stdin, output: process.stderr });
        try {
            return /^y(es)?$/i.test((await prompt.question(question)).trim());
        } finally {
            prompt.close();
        }
    },
    run(command) {
        const result = spawnSync(command[0]!, command.slice(1), { cwd: PROJECT_ROOT, stdio: "inherit" });
        if (result.error !== undefined && "code" in result.error && result.error.code === "ENOENT") return "missing";
        return result.status ?? 1;
    },
};

export async function main(argv: readonly string[], io: Console = processConsole, root = PROJECT_ROOT): Promise<number> {
    let stack: string, developer: string | undefined, yes: boolean, printOnly: boolean;
    try {
        const { values } = parseArgs({
            args: [...argv],
            options: {
                stack: { type: "string" },
                developer: { type: "string" },
                yes: { type: "boolean", default: false },
                "print-commands": { type: "boolean", default: false },
                help: { type: "boolean", short: "h" },
            },
        });
        if (values.help) {
            console.log([
                USAGE,
                "",
                "Revokes an app identity at once: replaces its app registration, service principal and both client",
                "secrets (pulumi up --target-replace on exactly their URNs, --target-dependents for its role",
                "assignments). The old secrets stop working as soon as the old app is deleted.",
                "",
                "  --stack NAME        the stack whose identity to revoke",
                "  --developer NAME    in a local-development stack, whose identity",
                "  --yes               do not ask for confirmation (for scripts)",
                "  --print-commands    print the Pulumi CLI commands and run nothing",
                "",
                "Afterwards, write the new env file: npm run env-file -- --stack NAME [--developer NAME] --out PATH",
            ].join("\n"));
            return 0;
        }
        if (values.stack === undefined) throw new UsageError("name the stack with --stack NAME");
        ({ stack, developer, yes } = { stack: values.stack, developer: values.developer, yes: values.yes });
        printOnly = values["print-commands"];
    } catch (error) {
        console.error(`revoke: ${(error as Error).message}`);
        return 2;
    }

    let plan: RevokePlan;
    try {
        plan = await planRevoke(root, stack, developer);
    } catch (error) {
        if (!(error instanceof UsageError || error instanceof StackFileError || error instanceof ConfigError)) {
            throw error;
        }
        console.error(`revoke: ${error.message}`);
        return 1;
    }
    const commands = commandsOf(plan).map(shellLine);
    const envFileHint = shellLine(["npm", "run", "env-file", "--", "--stack", stack,
        ...(developer === undefined ? [] : ["--developer", developer]), "--out", "PATH"]);
    if (printOnly) {
        console.log(commands.join("\n"));
        return 0;
    }

    console.error(`revoke: identity ${plan.identity} of stack ${stack}: replacing ${plan.replaced.length} resources ` +
        `(app, service principal, secrets) and, with them, ${plan.dependents.length} role assignments.` +
        (plan.production ? " The stack is production: their protection is lifted first; the update protects the new ones." : ""));
    for (const [index, command] of commandsOf(plan).entries()) {
        const isUp = command === plan.up;
        if (isUp && !yes) {
            if (!io.isInteractive) {
                console.error("revoke: standard input is not a terminal, so nobody can confirm: pass --yes");
                return 1;
            }
            const question = `Revoke ${plan.identity}? Its old secrets stop working at once. [y/N] `;
            if (!(await io.confirm(question))) {
                console.error("revoke: nothing was replaced" + (plan.production
                    ? "; the next pulumi up protects the unprotected resources again" : ""));
                return 1;
            }
        }
        const status = io.run(command);
        if (status === "missing") {
            console.error("revoke: the Pulumi CLI is not on PATH, so nothing was revoked. Run these where it is:");
            console.log(commands.slice(index).join("\n"));
            return 1;
        }
        if (status !== 0) {
            console.error(`revoke: '${commands[index]}' failed (exit ${status}); stopped there`);
            return 1;
        }
    }
    console.error(`revoke: ${plan.identity} now has a new app, service principal and secrets. Write its env file ` +
        `again: ${envFileHint}`);
    return 0;
}

if (require.main === module) runCommand("revoke", main);
