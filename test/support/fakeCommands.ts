/**
 * Stand-ins for command-line tools (the Pulumi CLI, npm, gh) where a test needs failures the real one cannot be
 * made to give. The scripts are tracked as test/fixtures/fakes/*.sh; a test puts them on PATH under the commands'
 * names through a directory of symbolic links made for it, so no file in the checkout poses as a built CLI.
 */
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../harness";

const FAKES = join(ROOT, "test", "fixtures", "fakes");

/**
 * `<parent>/bin`, made for PATH, holding each command (`pulumi`) as a link to its script (`pulumi-ci.sh`); it goes
 * with the test's own directory.
 */
export function fakeCommandsDir(parent: string, scripts: Readonly<Record<string, string>>): string {
    const dir = join(parent, "bin");
    mkdirSync(dir);
    for (const [command, script] of Object.entries(scripts)) symlinkSync(join(FAKES, script), join(dir, command));
    return dir;
}
