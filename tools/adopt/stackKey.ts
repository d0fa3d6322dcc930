/**
 * Writes `app-identity:adopt` into the stack file, keeping its comments and every other key as written (the yaml
 * package's Document API edits the parsed tree, not the text).
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { Adoption } from "../../infra/adoption";
import { writeFileAtomically } from "../../common/atomicWrite";

export function withAdoptKey(text: string, project: string, adopt: Adoption): string {
    const document = parseDocument(text);
    const value = {
        application: adopt.application,
        ...(adopt.servicePrincipal === undefined ? {} : { servicePrincipal: adopt.servicePrincipal }),
        roleAssignments: adopt.roleAssignments.map(({ resourceGroup, role, name }) => ({ resourceGroup, role, name })),
    };
    document.setIn(["config", `${project}:adopt`], document.createNode(value));
    return document.toString();
}

export async function writeAdoptKey(path: string, project: string, adopt: Adoption): Promise<void> {
    // A stack file holds no secret: keep the mode an editor would give it.
    await writeFileAtomically(path, withAdoptKey(readFileSync(path, "utf8"), project, adopt), 0o644);
}
