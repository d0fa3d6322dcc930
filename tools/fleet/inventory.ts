/**
 * The fleet: every stack file of the project, read once, with what the fleet commands select and order by (the app,
 * the environment, whether it is production, the tenant and subscription). A stack whose file or config the program
 * would refuse is still listed, with its problems, so that the fleet reports it as failed instead of losing it.
 */
import type { StackConfig } from "../../infra/config";
import { listStacks, readStackConfig, type Project } from "../stacks/stackFiles";

export interface FleetStack {
    readonly stack: string;
    /** The stack file, relative to the project root: `stacks/Pulumi.<stack>.yaml`. */
    readonly file: string;
    /** The parsed config; undefined when the file or its config is refused (see `problems`). */
    readonly config: StackConfig | undefined;
    readonly problems: readonly string[];
}

export interface Fleet {
    readonly project: Project;
    readonly stacks: readonly FleetStack[];
}

export function readFleet(project: Project): Fleet {
    const stacks = listStacks(project).map((stack) => readFleetStack(project, stack));
    return { project, stacks };
}

function readFleetStack(project: Project, stack: string): FleetStack {
    return { stack, file: `${project.stackConfigDir}/Pulumi.${stack}.yaml`, ...readStackConfig(project, stack) };
}

/** The app a stack serves (its appName), or its stack name when its config is refused. */
export function appOf(stack: FleetStack): string {
    return stack.config?.appName ?? stack.stack;
}

/** The environment a stack deploys (its environment, or the stack name), or its stack name when refused. */
export function environmentOf(stack: FleetStack): string {
    return stack.config?.environment ?? stack.stack;
}

/** Production stacks go last on a push and wait for the `prod` environment's approval. */
export function isProduction(stack: FleetStack): boolean {
    return stack.config?.production ?? false;
}
