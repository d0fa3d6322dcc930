/**
 * Issue 24, defect 1, in every document: the service's own process opens its certificate's key file
 * (azure-identity `_credentials/certificate.py`), so a key pair made for a server under /etc must be handed to the
 * service's user (`--owner`, as docs/certificates.md's tested step 1 does) in a directory that user can enter. A
 * command copied from the README's shorter blocks must not leave a root-only 0600 file that fails every worker with
 * PermissionError.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

const DOCUMENTS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];

/** Each line that makes a key pair into a server directory (`--out /etc/...`), with its document and line number. */
function serverKeyPairCommands(): { where: string; line: string }[] {
    return DOCUMENTS.flatMap((document) => readFileSync(join(ROOT, document), "utf8").split("\n")
        .map((line, index) => ({ where: `${document}:${index + 1}`, line }))
        .filter(({ line }) => /npm run certificate -- new .*--out \/etc\//.test(line)));
}

describe("documented key pairs for a server", () => {
    it("are found in the README and docs/certificates.md", () => {
        const documents = new Set(serverKeyPairCommands().map(({ where }) => where.split(":")[0]));
        expect([...documents].sort()).toEqual(["README.md", "docs/certificates.md"]);
    });

    it("each hand the key to the service's user (--owner inventory-api)", () => {
        expect(serverKeyPairCommands().filter(({ line }) => !line.includes("--owner inventory-api"))).toEqual([]);
    });

    it("each have the documented directory made for that user first, in the same block or by docs/certificates.md's step 1", () => {
        const readme = readFileSync(join(ROOT, "README.md"), "utf8");
        expect(readme).toContain("sudo install -d -m 0750 -o root -g inventory-api /etc/inventory-api\n" +
            "sudo npm run certificate -- new --stack inventory-api-dev --out /etc/inventory-api --owner inventory-api");
    });
});
